import type { Logger } from 'pino';
import type { Config } from '../../config/schema.ts';
import { ClaimLoop } from '../../core/claim-loop.ts';
import { toPostroomError } from '../../core/errors.ts';
import type { WebhookDeliveryRow } from '../../core/outbound.ts';
import type { WebhookQueue } from '../../store/store.ts';
import { signedHeaders } from './sign.ts';
import { bodyToSend, type BlobReader } from './webhook-body.ts';

export interface WebhookSenderContext {
  queue: WebhookQueue;
  blobs: BlobReader;
  webhooks: Config['webhooks'];
  /** milliseconds between claims while nothing is due (runner.pollInterval) */
  pollInterval: number;
  /** deliveries in flight at once */
  concurrency: number;
  owner: string;
  log: Logger;
  now: () => number;
}

/** What one try came to: a status when the receiver answered, an error text when it did not accept. */
interface TryResult {
  status: number | null;
  error: string | null;
}

/** Deliveries in flight per `postroom start`: enough to hide one slow receiver behind the others. */
export const DEFAULT_WEBHOOK_CONCURRENCY = 8;

/** How much of a refusing receiver's answer is kept in last_error. */
const ANSWER_CHARS = 300;

/**
 * Drains the webhook queue: claims due rows, POSTs each signed, and settles it as delivered (2xx),
 * queued for its next try (by `webhooks.schedule`), or dead once the schedule is used up.
 */
export class WebhookSender {
  private readonly ctx: WebhookSenderContext;
  private readonly loop: ClaimLoop<WebhookDeliveryRow>;

  constructor(ctx: WebhookSenderContext) {
    this.ctx = ctx;
    // A lease outlives the slowest try, so another node never sends a row that is still in flight.
    const timeouts = Object.values(ctx.webhooks.endpoints).map((e) => e.timeout);
    const leaseMs = Math.max(10_000, ...timeouts) + 60_000;
    this.loop = new ClaimLoop({
      concurrency: ctx.concurrency,
      pollInterval: ctx.pollInterval,
      claim: (free) => ctx.queue.claim(ctx.owner, free, ctx.now(), leaseMs),
      handle: (row) => this.settle(row),
      idOf: (row) => row.id,
      log: ctx.log,
      says: { cannotClaim: 'cannot claim webhook deliveries; retrying', resumed: 'database reachable again; webhook deliveries resume' },
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Claims nothing more and waits for the tries in flight (each bounded by its endpoint timeout). */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** The one catch per row: a store error leaves the row leased, and its lease expiry brings it back. */
  private async settle(row: WebhookDeliveryRow): Promise<void> {
    const { ctx } = this;
    const log = ctx.log.child({ webhook: row.id, endpoint: row.endpoint, event: row.eventId, attempt: row.attempts });
    try {
      const endpoint = ctx.webhooks.endpoints[row.endpoint];
      if (!endpoint) {
        const error = `endpoint "${row.endpoint}" is not configured (webhooks.endpoints.${row.endpoint} was removed or renamed); add it back and run postroom webhooks replay ${row.id}`;
        await ctx.queue.markDead(row.id, ctx.owner, null, error, ctx.now());
        log.warn({ error }, 'webhook dead');
        return;
      }
      const result = await this.post(row, endpoint);
      if (result.error === null) {
        if (!(await ctx.queue.markDelivered(row.id, ctx.owner, result.status ?? 0, ctx.now())))
          log.warn('webhook delivered, but its lease had passed to another sender');
        else log.info({ status: result.status }, 'webhook delivered');
        return;
      }
      // attempts counts this try; schedule[n] is the delay before try n + 1.
      const delay = ctx.webhooks.schedule[row.attempts];
      if (delay === undefined) {
        const error = `gave up after ${row.attempts} tries (webhooks.schedule): ${result.error}`;
        await ctx.queue.markDead(row.id, ctx.owner, result.status, error, ctx.now());
        log.warn({ status: result.status, error: result.error }, 'webhook dead; replay with postroom webhooks replay');
      } else {
        await ctx.queue.retry(row.id, ctx.owner, ctx.now() + delay, result.status, result.error);
        log.info({ status: result.status, error: result.error, retryInMs: delay }, 'webhook not accepted; will retry');
      }
    } catch (err) {
      log.error({ err: toPostroomError(err).message }, 'webhook delivery not settled; its lease expiry brings it back');
    }
  }

  /** One signed POST; every way of not getting a 2xx becomes an error text for last_error. */
  private async post(row: WebhookDeliveryRow, endpoint: Config['webhooks']['endpoints'][string]): Promise<TryResult> {
    let body: Buffer;
    try {
      body = await bodyToSend(row.body, row.messageRef, endpoint, this.ctx.blobs);
    } catch (err) {
      return { status: null, error: `could not build the body: ${(err as Error).message}` };
    }
    const headers = signedHeaders({
      secret: endpoint.secret,
      eventId: row.eventId,
      attempt: row.attempts,
      timestamp: Math.floor(this.ctx.now() / 1000),
      body,
    });
    try {
      // The URL comes from the config of now, not the row: fixing a wrong URL and replaying works.
      const response = await fetch(endpoint.url, {
        method: 'POST',
        headers,
        body,
        // A redirect would re-send (or, for 301/302, drop) the signed body elsewhere: count it as a refusal.
        redirect: 'manual',
        signal: AbortSignal.timeout(endpoint.timeout),
      });
      const answer = await readAnswer(response);
      if (response.status >= 200 && response.status < 300) return { status: response.status, error: null };
      const where = response.headers.get('location');
      return {
        status: response.status,
        error: `HTTP ${response.status}${where ? ` redirect to ${where}; set webhooks.endpoints.${row.endpoint}.url to the final address` : ''}${answer ? `: ${answer}` : ''}`,
      };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') return { status: null, error: `no answer within ${endpoint.timeout} ms (webhooks.endpoints.${row.endpoint}.timeout)` };
      return { status: null, error: `cannot reach ${endpoint.url}: ${e.cause?.code ?? e.cause?.message ?? e.message}` };
    }
  }
}

/** The start of the receiver's answer, for last_error; the rest is dropped unread. */
async function readAnswer(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= ANSWER_CHARS) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, ANSWER_CHARS).replace(/\s+/g, ' ').trim();
}
