import type { RecordRow } from '../core/message.ts';
import type { StoreReader } from '../store/store.ts';

/** The JSON shape of a record in listings (`records list --json`, `GET /api/v1/records`). */
export function recordJson(r: RecordRow) {
  return {
    id: r.id,
    number: r.number,
    type: r.type,
    subject: r.subject,
    requester: r.requester,
    status: r.status,
    assignee: r.assignee,
    tags: r.tags,
    fields: r.fields,
    messageCount: r.messageCount,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
  };
}

/** A record with its history (mail, comments, bounces), as `records show --json` prints it; undefined if unknown. */
export async function recordDetail(store: StoreReader, number: string) {
  const record = await store.findRecordByNumber(number);
  if (!record) return undefined;
  const entries = await store.listEntries(record.id);
  return {
    ...recordJson(record),
    entries: entries.map((e) => ({ ...e, createdAt: new Date(e.createdAt).toISOString() })),
  };
}
