import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { parseMessageQuery, parseState } from '../admin/message-filter.ts';
import { messageDetail, messageList } from '../admin/message-view.ts';
import { requeueMessages } from '../admin/requeue-messages.ts';
import type { MessageRow } from '../core/message.ts';
import type { ApiContext } from './api-context.ts';
import { ApiError } from './api-error.ts';
import { parseInput } from './parse-input.ts';

const listQuery = z.strictObject({
  state: z.string().optional(),
  mailbox: z.string().optional(),
  from: z.string().optional(),
  subject: z.string().optional(),
  messageId: z.string().optional(),
  since: z.string().optional(),
  newest: z.enum(['true', 'false']).optional(),
  limit: z.string().optional(),
  afterId: z.string().optional(),
});
const MAX_PAGE = 5000;
const idParams = z.strictObject({ id: z.string() });
const stateQuery = z.strictObject({ state: z.string() });

async function requireMessage(ctx: ApiContext, params: unknown): Promise<MessageRow> {
  const { id } = parseInput(idParams, params, 'path');
  const n = Number(id);
  const message = Number.isInteger(n) ? await ctx.store.getMessage(n) : undefined;
  if (!message) throw new ApiError(404, 'not_found', `no message with id ${id}`);
  return message;
}

/** /api/v1/messages: list, show, trace, raw bytes, reprocess: what `postroom messages` does. */
export function messageRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/messages', async (request) => {
    const q = parseInput(listQuery, request.query, 'query');
    let filter;
    try {
      filter = parseMessageQuery({ ...q, newest: q.newest === 'true' }, ctx.now(), (name) => name);
    } catch (err) {
      throw new ApiError(400, 'bad_request', (err as Error).message);
    }
    // One answer stays a bounded piece of memory; more is a next page.
    if ((filter.limit ?? 0) > MAX_PAGE)
      throw new ApiError(
        400,
        'bad_request',
        `limit ${filter.limit}: at most ${MAX_PAGE}; page on with afterId=nextAfterId`,
      );
    const rows = await ctx.store.listMessages(filter);
    const last = rows.at(-1);
    // Oldest-first pages continue after the last id; a short page is the end.
    const nextAfterId = !filter.newest && last && rows.length === filter.limit ? last.id : null;
    return { messages: await messageList(ctx.store, rows), nextAfterId };
  });

  app.get('/api/v1/messages/:id', async (request) =>
    messageDetail(ctx.store, await requireMessage(ctx, request.params)),
  );

  app.get('/api/v1/messages/:id/trace', async (request) => {
    const m = await requireMessage(ctx, request.params);
    return { trace: await ctx.store.getTrace(m.id) };
  });

  app.get('/api/v1/messages/:id/raw', async (request, reply) => {
    const m = await requireMessage(ctx, request.params);
    if (m.rawPurged || !(await ctx.blobs.exists(m.rawSha256)))
      throw new ApiError(
        410,
        'raw_deleted',
        `the raw bytes of message ${m.id} were deleted (the mailbox's deleteProcessed, or retention / messages purge)`,
      );
    return reply.type('message/rfc822').header('content-length', m.rawSize).send(ctx.blobs.open(m.rawSha256));
  });

  app.post('/api/v1/messages/:id/reprocess', async (request, reply) => {
    const m = await requireMessage(ctx, request.params);
    const requeued = await requeueMessages(ctx.store, ctx.spoolView, { ids: [m.id] }, ctx.now());
    if (requeued === 0)
      throw new ApiError(
        409,
        'not_queued',
        `message ${m.id} was not queued again: it is being processed now, or its raw mail was deleted (deleteProcessed, retention)`,
      );
    return reply.code(202).send({ requeued });
  });

  app.post('/api/v1/messages/reprocess', async (request, reply) => {
    const { state } = parseInput(stateQuery, request.query, 'query');
    let which;
    try {
      which = { state: parseState(state) };
    } catch (err) {
      throw new ApiError(400, 'bad_request', (err as Error).message);
    }
    return reply
      .code(202)
      .send({ requeued: await requeueMessages(ctx.store, ctx.spoolView, which, ctx.now()) });
  });
}
