import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { deliveryJson, outboxJson, queueFilter } from '../admin/queue-view.ts';
import { outboxStates, webhookStates } from '../core/outbound.ts';
import type { ApiContext } from './api-context.ts';
import { ApiError } from './api-error.ts';
import { parseInput } from './parse-input.ts';

const listQuery = z.strictObject({
  state: z.string().optional(),
  failed: z.enum(['true', 'false']).optional(),
  limit: z.string().optional(),
});
const idParams = z.strictObject({ id: z.string() });

function filterOf<S extends string>(query: unknown, states: readonly S[], givenUp: S) {
  const q = parseInput(listQuery, query, 'query');
  try {
    const filter = queueFilter({ ...q, failed: q.failed === 'true' }, states, givenUp, (name) => name);
    if (filter.limit > 5000) throw new Error(`limit ${filter.limit}: at most 5000`);
    return filter;
  } catch (err) {
    throw new ApiError(400, 'bad_request', (err as Error).message);
  }
}

/** /api/v1/outbox and /api/v1/webhooks: what `postroom outbox list`, `webhooks list` and `webhooks replay` do. */
export function queueRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/outbox', async (request) => ({
    outbox: (await ctx.store.outbox.list(filterOf(request.query, outboxStates, 'failed'))).map(outboxJson),
  }));

  app.get('/api/v1/webhooks', async (request) => ({
    deliveries: (await ctx.store.webhooks.list(filterOf(request.query, webhookStates, 'dead'))).map(
      deliveryJson,
    ),
  }));

  app.post('/api/v1/webhooks/:id/replay', async (request, reply) => {
    const { id: idText } = parseInput(idParams, request.params, 'path');
    const id = Number(idText);
    const row = Number.isSafeInteger(id) ? await ctx.store.webhooks.get(id) : undefined;
    if (!row) throw new ApiError(404, 'not_found', `no webhook delivery with id ${idText}`);
    if (!(await ctx.store.webhooks.replay(id, ctx.now())))
      throw new ApiError(
        409,
        'in_flight',
        `webhook delivery ${id} is being delivered right now; replay it once it is delivered or dead`,
      );
    return reply.code(202).send(deliveryJson((await ctx.store.webhooks.get(id)) ?? row));
  });
}
