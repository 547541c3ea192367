import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { checkHealth, type CheckResult } from '../admin/health-check.ts';
import { statusReport, type EngineStatus } from '../admin/status-report.ts';
import { parseDuration } from '../config/units.ts';
import type { ApiContext } from './api-context.ts';
import { ApiError } from './api-error.ts';
import { EngineMetrics } from './metrics.ts';
import { parseInput } from './parse-input.ts';

const checkQuery = z.strictObject({ maxQueueAge: z.string().optional() });
const DEFAULT_MAX_QUEUE_AGE_SECONDS = 15 * 60;

function maxQueueAge(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_QUEUE_AGE_SECONDS;
  try {
    return parseDuration(value, 's');
  } catch (err) {
    throw new ApiError(400, 'bad_request', `maxQueueAge: ${(err as Error).message}`);
  }
}

/**
 * /health (a load balancer's or uptime checker's probe: 200 ok or warning, 503 critical or store
 * unreadable), /metrics (Prometheus) and /api/v1/status (what `postroom status --json --check` prints).
 */
export function monitoringRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const metrics = new EngineMetrics();
  const read = async (
    maxAgeSeconds: number,
  ): Promise<{ status: EngineStatus; check: CheckResult } | { error: string }> => {
    try {
      const status = await statusReport(ctx.store, ctx.config, ctx.now());
      return { status, check: checkHealth(status, maxAgeSeconds) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  };

  app.get('/health', async (request, reply) => {
    const seen = await read(maxQueueAge(parseInput(checkQuery, request.query, 'query').maxQueueAge));
    if ('error' in seen)
      return reply.code(503).send({ status: 'unknown', problems: [`cannot read the store: ${seen.error}`] });
    return reply.code(seen.check.status === 'critical' ? 503 : 200).send(seen.check);
  });

  app.get('/metrics', async (_request, reply) => {
    const seen = await read(DEFAULT_MAX_QUEUE_AGE_SECONDS);
    if ('error' in seen) metrics.update(null, null);
    else metrics.update(seen.status, seen.check);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get('/api/v1/status', async (request) => {
    const seen = await read(maxQueueAge(parseInput(checkQuery, request.query, 'query').maxQueueAge));
    if ('error' in seen) throw new ApiError(503, 'store_unavailable', `cannot read the store: ${seen.error}`);
    return { ...seen.status, check: seen.check };
  });
}
