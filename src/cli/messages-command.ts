import { pipeline } from 'node:stream/promises';
import { parseDuration } from '../config/units.ts';
import { messageStates, type MessageRow, type MessageState } from '../core/message.ts';
import type { StoreReader } from '../store/store.ts';
import type { App } from './app.ts';
import { messageJson, printable, printJson, table } from './format.ts';

/** Parses a `--state` value, naming the valid ones when it is wrong. */
export function parseState(value: string): MessageState {
  if ((messageStates as readonly string[]).includes(value)) return value as MessageState;
  throw new Error(`unknown state "${value}"; use one of: ${messageStates.join(', ')}`);
}

async function recordNumbers(store: StoreReader, rows: readonly MessageRow[]): Promise<Map<number, string>> {
  const numbers = new Map<number, string>();
  for (const id of new Set(rows.flatMap((r) => (r.recordId === null ? [] : [r.recordId])))) {
    const record = await store.getRecord(id);
    if (record) numbers.set(id, record.number);
  }
  return numbers;
}

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
  const limit = Number(opts.limit ?? 1000);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit ${opts.limit}: give a whole number of messages, e.g. --limit 50`);
  const rows = await app.store.listMessages({
    ...(opts.state ? { state: parseState(opts.state) } : {}),
    ...(opts.mailbox ? { mailbox: opts.mailbox } : {}),
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.subject ? { subject: opts.subject } : {}),
    ...(opts.messageId ? { messageId: opts.messageId.replace(/^<|>$/g, '') } : {}),
    ...(opts.since ? { since: parseSince(opts.since, Date.now()) } : {}),
    ...(opts.newest ? { newest: true } : {}),
    limit,
  });
  const numbers = await recordNumbers(app.store, rows);
  const numberOf = (m: MessageRow): string | null =>
    m.recordId === null ? null : (numbers.get(m.recordId) ?? null);
  if (opts.json) return printJson(rows.map((m) => messageJson(m, numberOf(m))));
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

/** `--since`: a duration back from now (7d, 2h) or a date (2026-11-01, 2026-11-01T09:00:00Z). */
export function parseSince(value: string, now: number): number {
  if (/^\d+(ms|s|m|h|d)$/.test(value)) return now - parseDuration(value, 'ms');
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new Error(`--since ${value}: give a duration back from now (7d, 2h) or a date (2026-11-01 or 2026-11-01T09:00:00Z)`);
  return at;
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
  const numbers = await recordNumbers(app.store, [m]);
  const record = m.recordId === null ? null : (numbers.get(m.recordId) ?? null);
  const attachments = await app.store.listAttachments(m.id);
  const trace = await app.store.getTrace(m.id);
  const notice = await noticeJson(app.store, m.id);
  if (opts.json)
    return printJson({
      ...messageJson(m, record),
      dedupeKey: m.dedupeKey,
      rawSha256: m.rawSha256,
      attachments,
      notice,
      trace,
    });
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
  if (m.mailClass) lines.push(`  Class:       ${m.mailClass}${m.loopbackCandidate ? ' (loopback candidate)' : ''}`);
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

/** A stored notice with its links and whether each recipient is now marked as bouncing. */
async function noticeJson(store: StoreReader, messageRef: number) {
  const n = await store.getNotice(messageRef);
  if (!n) return null;
  const recipients = [];
  for (const r of n.recipients)
    recipients.push({ ...r, bouncing: (await store.getAddressStatus(r.address))?.bouncing ?? false });
  const record = n.recordId === null ? null : await store.getRecord(n.recordId);
  return {
    kind: n.kind,
    originalMessageId: n.originalMessageId,
    linkedMessage: n.linkedMessageRef,
    record: record?.number ?? null,
    recipients,
  };
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
    throw new Error(`the raw bytes of message ${m.id} were deleted (the mailbox's deleteProcessed, or retention / messages purge)`);
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
  const state = numeric.length > 0 ? undefined : parseState(opts.state ?? '');
  // Requeued mail is on its way again: the view's repair after a crash must look at it anew.
  const first = state ? (await app.store.listMessages({ state, limit: 1 }))[0]?.id : Math.min(...numeric);
  const mark = app.spoolView?.shownThrough() ?? null;
  if (app.spoolView && mark !== null && first !== undefined && first <= mark) app.spoolView.markShownThrough(first - 1);
  const count = state ? await app.store.requeue({ state }, Date.now()) : await app.store.requeue({ ids: numeric }, Date.now());
  if (opts.json) return printJson({ requeued: count });
  process.stdout.write(`${count} message(s) queued again; a running \`postroom start\` processes them\n`);
  const asked = new Set(numeric).size;
  if (asked > count)
    process.stderr.write(
      `${asked - count} not queued: unknown, being processed now, or their raw mail was deleted (deleteProcessed, retention)\n`,
    );
}
