import type { Logger } from 'pino';
import type { MailboxState } from '../store/store.ts';
import type { Connector, FetchMailbox, PollResult } from './connector.ts';

export interface PollerSettings {
  owner: string;
  leaseMs: number;
  backoff: { base: number; max: number };
  now: () => number;
}

/**
 * One mailbox's schedule: holds the mailbox lease (one poller per mailbox across every
 * `postroom start` on the database), polls, waits for IDLE or the polling interval, and backs
 * off on errors — logged once when the state changes, not at every retry.
 */
export class MailboxPoller {
  private readonly mailbox: FetchMailbox;
  private readonly connector: Connector;
  private readonly state: MailboxState;
  private readonly settings: PollerSettings;
  private readonly log: Logger;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private holding = false;

  constructor(
    mailbox: FetchMailbox,
    connector: Connector,
    state: MailboxState,
    settings: PollerSettings,
    log: Logger,
  ) {
    this.mailbox = mailbox;
    this.connector = connector;
    this.state = state;
    this.settings = settings;
    this.log = log.child({ mailbox: mailbox.address, connector: mailbox.connector });
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sleeper) {
      clearTimeout(this.sleeper.timer);
      this.sleeper.resolve();
    }
    await this.connector.close().catch(() => undefined);
    await this.loop;
    // A poll in flight may have opened a connection after the close above (IMAP keeps one for the
    // next poll, and its socket would keep the process alive after "stopped"): close it now.
    await this.connector.close().catch(() => undefined);
    if (this.holding)
      await this.state.releaseMailboxLease(this.mailbox.address, this.settings.owner).catch(() => undefined);
  }

  private async run(): Promise<void> {
    const { owner, leaseMs, now } = this.settings;
    const intervalMs = this.mailbox.pollingInterval * 1000;
    // Renew well inside the lease, so a live holder never loses it between two polls.
    const renewEvery = Math.max(1000, Math.floor(leaseMs / 3));
    let failures = 0;
    let lastSuccessAt: number | null = null;
    let lastError: string | null = null;
    let nextPollAt = 0;
    while (!this.stopped) {
      let held = false;
      try {
        held = await this.state.acquireMailboxLease(this.mailbox.address, owner, now(), leaseMs);
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, 'cannot take the mailbox lease');
      }
      if (held !== this.holding) {
        this.log.info(held ? 'polling this mailbox' : 'another node polls this mailbox');
        if (!held) await this.connector.close().catch(() => undefined);
        this.holding = held;
      }
      if (!held) {
        await this.sleep(renewEvery);
        continue;
      }
      if (now() < nextPollAt) {
        // Between polls: IDLE (or a plain wait) in slices short enough to keep the lease.
        const arrived = await this.connector.waitForMail(Math.min(nextPollAt - now(), renewEvery));
        if (arrived || (await this.movesWaiting())) nextPollAt = 0;
        continue;
      }
      let result: PollResult | null = null;
      const startedAt = now();
      // Keep the lease while the poll runs: a big backlog or a slow link can make a poll outlast
      // the lease, and another node must not start on this mailbox meanwhile.
      const keeper = setInterval(() => {
        this.state.acquireMailboxLease(this.mailbox.address, owner, now(), leaseMs).then(
          (kept) => {
            if (!kept) this.log.warn('lost the mailbox lease during a poll');
          },
          (err: unknown) => this.log.debug({ err: (err as Error).message }, 'cannot renew the mailbox lease'),
        );
      }, renewEvery);
      try {
        result = await this.connector.poll();
        if (failures > 0) this.log.info({ after: failures }, 'mailbox reachable again');
        failures = 0;
        lastError = null;
        lastSuccessAt = now();
        if (result.fetched > 0) this.log.info(result, 'fetched');
      } catch (err) {
        failures += 1;
        lastError = (err as Error).message;
        if (failures === 1)
          this.log.error({ err: (err as Error).message }, 'poll failed; retrying with backoff');
        await this.connector.close().catch(() => undefined);
      } finally {
        clearInterval(keeper);
      }
      await this.state
        .recordPoll({
          mailbox: this.mailbox.address,
          lastPollAt: startedAt,
          lastSuccessAt,
          lastError,
          backlog: result?.backlog ?? null,
          owner,
        })
        .catch(() => undefined);
      if (this.stopped) break;
      if (failures > 0) {
        // The backoff is a wait between polls like any other, in slices that renew the lease (it may
        // be longer than the lease): a failing mailbox stays with this node instead of bouncing.
        const { base, max } = this.settings.backoff;
        nextPollAt = now() + Math.min(max, base * 2 ** (failures - 1)) * 1000;
      } else if (!result || result.backlog === 0) {
        nextPollAt = now() + intervalMs; // with a backlog, the next batch comes at once
      }
    }
  }

  /**
   * Rules' moves are made by a poll; an idling mailbox with a long polling interval would keep
   * them waiting that long, so each wait slice looks for them.
   */
  private async movesWaiting(): Promise<boolean> {
    if (this.mailbox.connector !== 'imap' || this.stopped) return false;
    const moves = await this.state.pendingMoves(this.mailbox.address, 1).catch(() => []);
    return moves.length > 0;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleeper = { timer: setTimeout(resolve, ms), resolve };
    });
  }
}
