import type { Logger } from 'pino';
import { toPostroomError } from './errors.ts';

export interface ClaimLoopOptions<T> {
  /** rows handled at once */
  concurrency: number;
  /** milliseconds between claims while nothing is due */
  pollInterval: number;
  /** leases up to `free` due rows (a write transaction) */
  claim: (free: number) => Promise<T[]>;
  /** one row to its end; holds its own catch (a rejection is logged, the row's lease brings it back) */
  handle: (row: T) => Promise<void>;
  idOf: (row: T) => number;
  /** run once a claim returned rows, before they are handled */
  afterClaim?: (rows: readonly T[]) => void;
  log: Logger;
  /** what the log says of an outage and of its end, once each */
  says: { cannotClaim: string; resumed: string };
}

/** The longest wait between claims while the database is unreachable. */
const MAX_BACKOFF_MS = 30_000;

/**
 * The loop behind the runner and both senders: claims due rows in batches, handles up to
 * `concurrency` at once, and waits for the poll interval, a `notify()` or a finished row.
 * Claims happen once half the slots are free, because each claim is a write transaction; an
 * unreachable database backs the claims off and is logged once per outage, not once per poll.
 */
export class ClaimLoop<T> {
  private readonly opts: ClaimLoopOptions<T>;
  private readonly inFlight = new Map<number, Promise<void>>();
  private stopping = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(opts: ClaimLoopOptions<T>) {
    this.opts = opts;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Something became due in this process: claim now instead of at the next poll. */
  notify(): void {
    this.wake?.();
  }

  /** The ids of the rows being handled (their leases are renewed by the owner). */
  ids(): number[] {
    return [...this.inFlight.keys()];
  }

  /** Claims nothing more and waits for the rows in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.allSettled(this.inFlight.values());
  }

  private async run(): Promise<void> {
    const { concurrency, pollInterval, log, says } = this.opts;
    let failures = 0;
    while (!this.stopping) {
      const free = concurrency - this.inFlight.size;
      let claimed: T[] = [];
      if (free > 0 && free * 2 >= concurrency) {
        try {
          claimed = await this.opts.claim(free);
          if (failures > 0) log.info(says.resumed);
          failures = 0;
        } catch (err) {
          if (failures === 0) log.error({ err: toPostroomError(err).message }, says.cannotClaim);
          failures += 1;
        }
      }
      if (claimed.length > 0) this.opts.afterClaim?.(claimed);
      for (const row of claimed) this.track(row);
      if (claimed.length === 0 || this.inFlight.size * 2 > concurrency) {
        const delay = failures > 0 ? Math.min(MAX_BACKOFF_MS, pollInterval * 2 ** Math.min(failures, 6)) : pollInterval;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  private track(row: T): void {
    const id = this.opts.idOf(row);
    const work = this.opts
      .handle(row)
      .catch((err: unknown) => this.opts.log.error({ err: toPostroomError(err).message, id }, 'a claimed row was not settled; its lease brings it back'))
      .finally(() => {
        this.inFlight.delete(id);
        this.wake?.();
      });
    this.inFlight.set(id, work);
  }
}
