import type { Config } from '../config/schema.ts';
import type { MessageState } from '../core/message.ts';
import type { Store } from '../store/store.ts';

/** A fetching mailbox as `postroom status` and the API show it. */
export interface MailboxReport {
  mailbox: string;
  connector: string;
  lastPoll: string | null;
  lastSuccess: string | null;
  lagSeconds: number | null;
  backlog: number | null;
  lastError: string | null;
  polledBy: string | null;
  moves: { pending: number; failed: number; lastError: string | null };
  stalled: boolean;
}

/** What `postroom status --json` prints and `GET /api/v1/status` answers; field names are a contract. */
export interface EngineStatus {
  database: 'sqlite' | 'postgres';
  dataDir: string;
  byState: Partial<Record<MessageState, number>>;
  byMailbox: Record<string, Partial<Record<MessageState, number>>>;
  oldestQueued: string | null;
  oldestQueuedAgeSeconds: number | null;
  records: number;
  duplicatesIgnored: number;
  mailboxes: MailboxReport[];
  outbox: Record<string, number | undefined>;
  webhooks: Record<string, number | undefined>;
}

const iso = (t: number | null | undefined): string | null => (t == null ? null : new Date(t).toISOString());

/** Counts per state and mailbox, the fetchers' health and the queues, read from the store (cluster-wide). */
export async function statusReport(
  store: Store,
  config: Readonly<Config>,
  now: number,
): Promise<EngineStatus> {
  const [report, polls, moves, outbox, webhooks] = await Promise.all([
    store.status(),
    store.mailboxStatus(),
    store.moveStatus(),
    store.outbox.counts(),
    store.webhooks.counts(),
  ]);
  const mailboxes = config.mailboxes
    .filter((m) => m.connector !== 'smtp')
    .map((m): MailboxReport => {
      const p = polls.find((s) => s.mailbox === m.address);
      const mv = moves.find((s) => s.mailbox === m.address);
      return {
        mailbox: m.address,
        connector: m.connector,
        lastPoll: iso(p?.lastPollAt),
        lastSuccess: iso(p?.lastSuccessAt),
        lagSeconds: p?.lastSuccessAt == null ? null : Math.round((now - p.lastSuccessAt) / 1000),
        backlog: p?.backlog ?? null,
        lastError: p?.lastError ?? null,
        polledBy: p?.owner ?? null,
        // Rule moves (`moveTo`) the poller has yet to make, and those the server refused.
        moves: { pending: mv?.pending ?? 0, failed: mv?.failed ?? 0, lastError: mv?.lastError ?? null },
        // Three intervals without a good poll: something is wrong even if nothing was logged.
        stalled:
          p?.lastSuccessAt == null
            ? p?.lastPollAt != null
            : now - p.lastSuccessAt > 3 * m.pollingInterval * 1000,
      };
    });
  const oldest = report.oldestQueuedAt;
  return {
    database: store.dialect,
    dataDir: config.dataDir,
    byState: report.byState,
    byMailbox: report.byMailbox,
    oldestQueued: iso(oldest),
    oldestQueuedAgeSeconds: oldest === null ? null : Math.round((now - oldest) / 1000),
    records: report.records,
    duplicatesIgnored: report.duplicates,
    mailboxes,
    // A queue that only grows, or failed/dead rows, is something to look at.
    outbox,
    webhooks,
  };
}
