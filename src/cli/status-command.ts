import { parseDuration } from '../config/units.ts';
import { messageStates } from '../core/message.ts';
import type { App } from './app.ts';
import { printJson, table } from './format.ts';
import { checkExitCodes, checkHealth, checkLine } from '../admin/health-check.ts';
import { statusReport } from '../admin/status-report.ts';

export interface StatusOptions {
  json?: boolean;
  /** exit 0 ok, 1 warning, 2 critical, with a one-line verdict first (a monitoring probe) */
  check?: boolean;
  /** with check: mail waiting longer than this is critical (default 15m) */
  maxQueueAge?: string;
}

/** `postroom status`: counts per state and mailbox, and the age of the oldest waiting message. */
export async function statusCommand(app: App, opts: StatusOptions): Promise<void> {
  let maxQueueAgeSeconds = 15 * 60;
  if (opts.maxQueueAge !== undefined) {
    try {
      maxQueueAgeSeconds = parseDuration(opts.maxQueueAge, 's');
    } catch (err) {
      throw new Error(`--max-queue-age: ${(err as Error).message}`, { cause: err });
    }
  }
  let json;
  try {
    json = await statusReport(app.store, app.config, Date.now());
  } catch (err) {
    if (!opts.check) throw err;
    // A probe that cannot see says so in the monitoring's own terms: UNKNOWN, exit 3.
    process.stdout.write(`POSTROOM UNKNOWN - cannot read the store: ${(err as Error).message}\n`);
    process.exitCode = 3;
    return;
  }
  const { byState, byMailbox, mailboxes: fetching } = json;
  const check = opts.check ? checkHealth(json, maxQueueAgeSeconds) : null;
  if (check) process.exitCode = checkExitCodes[check.status];
  if (opts.json) return printJson(check ? { ...json, check } : json);
  if (check) process.stdout.write(`${checkLine(check)}\n\n`);
  const mailboxes = [...new Set([...app.config.mailboxes.map((m) => m.address), ...Object.keys(byMailbox)])];
  process.stdout.write(`Database: ${json.database}   Data: ${json.dataDir}\n\n`);
  process.stdout.write(
    table(
      ['MAILBOX', ...messageStates.map((s) => s.toUpperCase())],
      [
        ...mailboxes.map((box) => [box, ...messageStates.map((s) => String(byMailbox[box]?.[s] ?? 0))]),
        ['(all)', ...messageStates.map((s) => String(byState[s] ?? 0))],
      ],
    ),
  );
  process.stdout.write(
    `\nOldest waiting: ${json.oldestQueued ? `${json.oldestQueued} (${json.oldestQueuedAgeSeconds}s ago)` : 'none'}\n` +
      `Records: ${json.records}   Duplicate deliveries ignored: ${json.duplicatesIgnored}\n` +
      `Outbox: ${counts(json.outbox)}   Webhooks: ${counts(json.webhooks)}\n`,
  );
  if (fetching.length > 0) {
    process.stdout.write(
      `\n${table(
        ['MAILBOX', 'CONNECTOR', 'LAST SUCCESS', 'LAG', 'BACKLOG', 'STATE', 'MOVES', 'LAST ERROR'],
        fetching.map((f) => [
          f.mailbox,
          f.connector,
          f.lastSuccess ?? 'never',
          f.lagSeconds === null ? '-' : `${f.lagSeconds}s`,
          f.backlog === null ? '-' : String(f.backlog),
          f.stalled ? 'STALLED' : 'ok',
          f.moves.pending + f.moves.failed === 0
            ? '-'
            : `${f.moves.pending} waiting, ${f.moves.failed} failed`,
          f.lastError ?? (f.moves.lastError === null ? '' : `move: ${f.moves.lastError}`),
        ]),
      )}`,
    );
  }
}

function counts(byState: Record<string, number | undefined>): string {
  const parts = Object.entries(byState).map(([state, n]) => `${n ?? 0} ${state}`);
  return parts.length > 0 ? parts.join(', ') : 'empty';
}
