import { pipeline } from 'node:stream/promises';
import type { MessageRow } from '../core/message.ts';
import type { App } from './app.ts';
import { printable, printJson, table } from './format.ts';
import { messageDetail, messageList, recordNumbers } from '../admin/message-view.ts';
import { parseMessageQuery, parseState } from '../admin/message-filter.ts';
import { requeueMessages } from '../admin/requeue-messages.ts';

export interface ListOptions {
  state?: string;
  mailbox?: string;
  from?: string;
  subject?: string;
  messageId?: string;
  since?: string;
  newest?: boolean;
  limit?: string;
  json?: boolean;
}

/** `messages list` */
export async function listMessages(app: App, opts: ListOptions): Promise<void> {
  const rows = await app.store.listMessages(
    parseMessageQuery(
      opts,
      Date.now(),
      (name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    ),
  );
  if (opts.json) return printJson(await messageList(app.store, rows));
  const numbers = await recordNumbers(app.store, rows);
  const numberOf = (m: MessageRow): string | null =>
    m.recordId === null ? null : (numbers.get(m.recordId) ?? null);
  process.stdout.write(
    table(
      ['ID', 'STATE', 'RECEIVED', 'MAILBOX', 'FROM', 'SUBJECT', 'RECORD'],
      rows.map((m) => [
        String(m.id),
        m.state,
        new Date(m.receivedAt).toISOString().slice(0, 19).replace('T', ' '),
        m.mailbox,
        m.from ?? '',
        m.subject ?? '',
        numberOf(m) ?? (m.errorCode ? `! ${m.errorCode}` : ''),
      ]),
    ),
  );
}

async function requireMessage(app: App, idText: string): Promise<MessageRow> {
  const id = Number(idText);
  const message = Number.isInteger(id) ? await app.store.getMessage(id) : undefined;
  if (!message) throw new Error(`no message with id ${idText}; see \`postroom messages list\``);
  return message;
}

/** `messages show ID` */
export async function showMessage(app: App, idText: string, opts: { json?: boolean }): Promise<void> {
  const m = await requireMessage(app, idText);
  const detail = await messageDetail(app.store, m);
  if (opts.json) return printJson(detail);
  const { record, attachments, notice, trace } = detail;
  const lines = [
    `Message ${m.id}  [${m.state}${m.outcome ? `: ${m.outcome}` : ''}]`,
    `  Mailbox:     ${m.mailbox} (via ${m.source})`,
    `  Message-ID:  ${m.messageId ?? '(none)'}`,
    `  From:        ${m.from ?? ''}`,
    `  Subject:     ${m.subject ?? ''}`,
    `  Received:    ${new Date(m.receivedAt).toISOString()}`,
    `  Size:        ${m.rawSize} bytes${m.rawPurged ? ' (raw deleted after processing)' : ''}`,
    `  Record:      ${record ?? '-'}`,
    `  Attempts:    ${m.attempts}${m.duplicates ? `, ${m.duplicates} duplicate deliveries` : ''}`,
  ];
  if (m.mailClass)
    lines.push(`  Class:       ${m.mailClass}${m.loopbackCandidate ? ' (loopback candidate)' : ''}`);
  if (notice)
    lines.push(
      `  Notice:      ${notice.kind} about ${notice.originalMessageId ? `<${notice.originalMessageId}>` : 'unknown mail'}${notice.linkedMessage !== null ? ` (message ${notice.linkedMessage})` : ''}`,
      ...notice.recipients.map(
        (r) =>
          `               ${r.address} ${r.status || r.replyCode} ${r.reason}${r.hard ? ', hard' : ''}${r.bouncing ? ', marked bouncing' : ''}`,
      ),
    );
  if (m.errorCode) lines.push(`  Error:       ${m.errorCode}: ${m.error ?? ''}`);
  for (const a of attachments)
    lines.push(
      `  Attachment ${a.ordinal}: ${a.filename} (${a.contentType}, ${a.size} bytes${a.inline ? ', inline' : ''})`,
    );
  process.stdout.write(`${[...lines.map(printable), '', ...traceLines(trace)].join('\n')}\n`);
}

function traceLines(
  trace: readonly { stage: string; looked: string; concluded: string; why: string }[],
): string[] {
  return trace.map(
    (t, i) =>
      `${String(i + 1).padStart(2)}. ${printable(t.stage)}: ${printable(t.concluded)}${t.looked ? `  [looked at ${printable(t.looked)}]` : ''}\n      because ${printable(t.why)}`,
  );
}

/** `messages trace ID` */
export async function traceMessage(app: App, idText: string, opts: { json?: boolean }): Promise<void> {
  const m = await requireMessage(app, idText);
  const trace = await app.store.getTrace(m.id);
  if (opts.json) return printJson(trace);
  process.stdout.write(`${traceLines(trace).join('\n')}\n`);
}

/** `messages raw ID`: the exact bytes as received. */
export async function rawMessage(app: App, idText: string): Promise<void> {
  const m = await requireMessage(app, idText);
  if (m.rawPurged || !(await app.blobs.exists(m.rawSha256))) {
    throw new Error(
      `the raw bytes of message ${m.id} were deleted (the mailbox's deleteProcessed, or retention / messages purge)`,
    );
  }
  await pipeline(app.blobs.open(m.rawSha256), process.stdout, { end: false });
}

/** `messages reprocess ID…|--state S` */
export async function reprocessMessages(
  app: App,
  ids: readonly string[],
  opts: { state?: string; json?: boolean },
): Promise<void> {
  if (ids.length === 0 && !opts.state)
    throw new Error('name message ids or --state (for example: postroom messages reprocess --state failed)');
  const numeric = ids.map((id) => {
    const n = Number(id);
    if (!Number.isInteger(n)) throw new Error(`not a message id: ${id}`);
    return n;
  });
  const count = await requeueMessages(
    app.store,
    app.spoolView,
    numeric.length > 0 ? { ids: numeric } : { state: parseState(opts.state ?? '') },
    Date.now(),
  );
  if (opts.json) return printJson({ requeued: count });
  process.stdout.write(`${count} message(s) queued again; a running \`postroom start\` processes them\n`);
  const asked = new Set(numeric).size;
  if (asked > count)
    process.stderr.write(
      `${asked - count} not queued: unknown, being processed now, or their raw mail was deleted (deleteProcessed, retention)\n`,
    );
}
