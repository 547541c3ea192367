import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { directoryListing } from '../admin/directory-view.ts';
import type { ApiContext } from './api-context.ts';
import { ApiError } from './api-error.ts';
import { parseInput } from './parse-input.ts';

const query = z.strictObject({ kind: z.string().optional() });

/** GET /api/v1/directory: `postroom directory list --json` (its output imports back). */
export function directoryRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/directory', async (request) => {
    const { kind } = parseInput(query, request.query, 'query');
    try {
      return await directoryListing(ctx.store.directory, kind);
    } catch (err) {
      if (kind !== undefined && /unknown kind/.test((err as Error).message))
        throw new ApiError(400, 'bad_request', (err as Error).message);
      throw err;
    }
  });
}
