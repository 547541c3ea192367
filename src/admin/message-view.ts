import type { MessageRow } from '../core/message.ts';
import type { StoreReader } from '../store/store.ts';

/** The JSON shape of a message in every listing; field names are a contract for scripts. */
export function messageJson(m: MessageRow, recordNumber: string | null): Record<string, unknown> {
  return {
    id: m.id,
    mailbox: m.mailbox,
    messageId: m.messageId,
    subject: m.subject,
    from: m.from,
    state: m.state,
    outcome: m.outcome,
    receivedAt: new Date(m.receivedAt).toISOString(),
    finishedAt: m.finishedAt === null ? null : new Date(m.finishedAt).toISOString(),
    record: recordNumber,
    source: m.source,
    size: m.rawSize,
    /** the raw bytes were deleted (deleteProcessed, retention); the row and its record stay */
    rawPurged: m.rawPurged,
    attempts: m.attempts,
    duplicates: m.duplicates,
    errorCode: m.errorCode,
    error: m.error,
    class: m.mailClass,
    loopbackCandidate: m.loopbackCandidate,
    routedMailbox: m.routedMailbox,
    deferUntil: m.deferUntil === null ? null : new Date(m.deferUntil).toISOString(),
  };
}

/** The record numbers of these messages' records, by record id. */
export async function recordNumbers(
  store: StoreReader,
  rows: readonly MessageRow[],
): Promise<Map<number, string>> {
  const numbers = new Map<number, string>();
  for (const id of new Set(rows.flatMap((r) => (r.recordId === null ? [] : [r.recordId])))) {
    const record = await store.getRecord(id);
    if (record) numbers.set(id, record.number);
  }
  return numbers;
}

/** A stored notice with its links and whether each recipient is now marked as bouncing. */
export async function noticeJson(store: StoreReader, messageRef: number) {
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

/** A message with everything `messages show --json` prints (and `GET /api/v1/messages/ID` answers). */
export async function messageDetail(store: StoreReader, m: MessageRow) {
  const record = m.recordId === null ? null : ((await store.getRecord(m.recordId))?.number ?? null);
  return {
    ...messageJson(m, record),
    record,
    dedupeKey: m.dedupeKey,
    rawSha256: m.rawSha256,
    attachments: await store.listAttachments(m.id),
    notice: await noticeJson(store, m.id),
    trace: await store.getTrace(m.id),
  };
}

/** Messages as listings show them, with their record numbers. */
export async function messageList(
  store: StoreReader,
  rows: readonly MessageRow[],
): Promise<Record<string, unknown>[]> {
  const numbers = await recordNumbers(store, rows);
  return rows.map((m) => messageJson(m, m.recordId === null ? null : (numbers.get(m.recordId) ?? null)));
}
