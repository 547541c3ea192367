import type { Logger } from 'pino';
import { purgeRawMail, retentionQueries, type PurgeContext, type RetentionSettings } from '../apply/purge-raw.ts';

/**
 * `retention` in `postroom start`: deletes raw mail past its time at start and then every
 * `retention.sweepInterval`. Every node on a shared PostgreSQL may sweep; marking a row purged
 * is conditional, so two sweeps never count or delete one message twice.
 */
export class RetentionSweeper {
  private readonly ctx: PurgeContext;
  private readonly retention: RetentionSettings;
  private readonly everyMs: number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private failing = false;
  private stopped = false;

  constructor(ctx: PurgeContext, retention: RetentionSettings & { sweepInterval: number }, log: Logger) {
    this.ctx = ctx;
    this.retention = retention;
    // setInterval takes at most 2^31 - 1 ms (24.8 days); past that Node fires every millisecond.
    this.everyMs = Math.min(retention.sweepInterval, 2 ** 31 - 1);
    this.log = log.child({ component: 'retention' });
  }

  /** Starts sweeping when a retention is set (not forever); otherwise does nothing. */
  start(): void {
    if (this.stopped || retentionQueries(this.retention, Date.now()).length === 0) return;
    this.sweep();
    this.timer = setInterval(() => this.sweep(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private sweep(): void {
    // One sweep at a time: a slow one (a first sweep of a large backlog) is not started twice.
    this.running = this.running.then(async () => {
      try {
        const totals = await purgeRawMail(this.ctx, retentionQueries(this.retention, Date.now()));
        if (this.failing) this.log.info('retention sweeps work again');
        this.failing = false;
        if (totals.messages > 0) this.log.info(totals, 'retention: raw mail past its time deleted');
      } catch (err) {
        // Logged once until a sweep works again; the next interval tries again.
        if (!this.failing) this.log.warn({ err: (err as Error).message }, 'retention sweep failed; trying again at the next interval');
        this.failing = true;
      }
    });
  }
}
