import { outboxStates, type OutboxRow } from '../core/outbound.ts';
import { queueFilter } from './queue-filter.ts';
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
        iso(r.sentAt ?? (r.state === 'queued' ? r.nextAttemptAt : r.createdAt))
          .slice(0, 19)
          .replace('T', ' '),
        r.lastError ?? '',
      ]),
    ),
  );
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The JSON shape of an outbox row; field names are a contract for scripts. */
function outboxJson(r: OutboxRow): Record<string, unknown> {
  return {
    id: r.id,
    state: r.state,
    mailbox: r.mailbox,
    kind: r.kind,
    automatic: r.automatic,
    messageId: r.messageId,
    from: r.mail.from.address,
    to: r.mail.to,
    cc: r.mail.cc,
    subject: r.mail.subject,
    inReplyTo: r.mail.inReplyTo,
    messageRef: r.messageRef,
    recordId: r.recordId,
    attempts: r.attempts,
    nextAttemptAt: r.state === 'queued' ? iso(r.nextAttemptAt) : null,
    lastError: r.lastError,
    createdAt: iso(r.createdAt),
    sentAt: r.sentAt === null ? null : iso(r.sentAt),
  };
}
