import { messageStates } from '../core/message.ts';
import type { App } from './app.ts';
import { printJson, table } from './format.ts';

/** `postroom status`: counts per state and mailbox, and the age of the oldest waiting message. */
export async function statusCommand(app: App, opts: { json?: boolean }): Promise<void> {
  const report = await app.store.status();
  const oldest = report.oldestQueuedAt;
  const json = {
    database: app.store.dialect,
    dataDir: app.config.dataDir,
    byState: report.byState,
    byMailbox: report.byMailbox,
    oldestQueued: oldest === null ? null : new Date(oldest).toISOString(),
    oldestQueuedAgeSeconds: oldest === null ? null : Math.round((Date.now() - oldest) / 1000),
    records: report.records,
    duplicatesIgnored: report.duplicates,
  };
  if (opts.json) return printJson(json);
  const mailboxes = [
    ...new Set([...app.config.mailboxes.map((m) => m.address), ...Object.keys(report.byMailbox)]),
  ];
  process.stdout.write(`Database: ${json.database}   Data: ${json.dataDir}\n\n`);
  process.stdout.write(
    table(
      ['MAILBOX', ...messageStates.map((s) => s.toUpperCase())],
      [
        ...mailboxes.map((box) => [
          box,
          ...messageStates.map((s) => String(report.byMailbox[box]?.[s] ?? 0)),
        ]),
        ['(all)', ...messageStates.map((s) => String(report.byState[s] ?? 0))],
      ],
    ),
  );
  process.stdout.write(
    `\nOldest waiting: ${json.oldestQueued ? `${json.oldestQueued} (${json.oldestQueuedAgeSeconds}s ago)` : 'none'}\n` +
      `Records: ${json.records}   Duplicate deliveries ignored: ${json.duplicatesIgnored}\n`,
  );
}
