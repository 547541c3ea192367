import { outboxStates } from '../core/outbound.ts';
import { outboxJson, queueFilter } from '../admin/queue-view.ts';
import type { App } from './app.ts';
import { printJson, table } from './format.ts';

/** `outbox list`: mail we send, newest first; `--failed` is the dead letters with the server's answer. */
export async function listOutbox(
  app: App,
  opts: { state?: string; failed?: boolean; limit?: string; json?: boolean },
): Promise<void> {
  const filter = queueFilter(opts, outboxStates, 'failed');
  const rows = await app.store.outbox.list(filter);
  if (opts.json) return printJson(rows.map(outboxJson));
  process.stdout.write(
    table(
      ['ID', 'STATE', 'MAILBOX', 'TO', 'SUBJECT', 'TRIES', 'WHEN', 'LAST ERROR'],
      rows.map((r) => [
        String(r.id),
        r.state,
        r.mailbox,
        r.mail.to.join(', '),
        r.mail.subject,
        String(r.attempts),
        new Date(r.sentAt ?? (r.state === 'queued' ? r.nextAttemptAt : r.createdAt))
          .toISOString()
          .slice(0, 19)
          .replace('T', ' '),
        r.lastError ?? '',
      ]),
    ),
  );
}
