import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { recordDetail, recordJson } from '../admin/record-view.ts';
import type { ApiContext } from './api-context.ts';
import { ApiError } from './api-error.ts';
import { parseInput } from './parse-input.ts';

const listQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^[1-9]\d*$/, { error: 'a whole number of records, e.g. 50' })
    .refine((n) => Number(n) <= 5000, { error: 'at most 5000' })
    .optional(),
});
const numberParams = z.strictObject({ number: z.string() });
const blobParams = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'a SHA-256 in lower-case hex' }),
});

/** /api/v1/records (what `postroom records` shows) and /api/v1/blobs (what webhooks' attachmentLink points at). */
export function recordRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/records', async (request) => {
    const { limit } = parseInput(listQuery, request.query, 'query');
    return { records: (await ctx.store.listRecords(Number(limit ?? 1000))).map(recordJson) };
  });

  app.get('/api/v1/records/:number', async (request) => {
    const { number } = parseInput(numberParams, request.params, 'path');
    const record = await recordDetail(ctx.store, number);
    if (!record) throw new ApiError(404, 'not_found', `no record ${number}`);
    return record;
  });

  // Content-addressed: the hash names the bytes, so they never change and may be cached for good.
  app.get('/api/v1/blobs/:sha256', async (request, reply) => {
    const { sha256 } = parseInput(blobParams, request.params, 'path');
    if (!(await ctx.blobs.exists(sha256)))
      throw new ApiError(
        404,
        'not_found',
        `no stored file with SHA-256 ${sha256} (deleted by retention, or never stored)`,
      );
    return reply
      .type('application/octet-stream')
      .header('cache-control', 'private, max-age=31536000, immutable')
      .header('content-disposition', `attachment; filename="${sha256}"`)
      .send(ctx.blobs.open(sha256));
  });
}
