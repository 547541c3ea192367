import type { Selectable } from 'kysely';
import type {
  AttachmentRow,
  IntakeSource,
  MessageRow,
  MessageState,
  NoticeRow,
  RecordRow,
  TraceStep,
} from '../core/message.ts';
import type { DocumentRow } from '../core/document.ts';
import type { OutboxRow, OutboxState, WebhookDeliveryRow, WebhookState } from '../core/outbound.ts';
import type {
  AttachmentsTable,
  DocumentsTable,
  MessagesTable,
  NoticesTable,
  OutboxTable,
  RecordsTable,
  WebhookDeliveriesTable,
} from './tables.ts';

/** Database row → the engine's message type. */
export function toMessageRow(r: Selectable<MessagesTable>): MessageRow {
  return {
    id: Number(r.id),
    mailbox: r.mailbox,
    source: r.source as IntakeSource,
    dedupeKey: r.dedupe_key,
    rawSha256: r.raw_sha256,
    rawSize: Number(r.raw_size),
    rawPurged: Number(r.raw_purged) === 1,
    messageId: r.message_id,
    subject: r.subject,
    from: r.from_addr,
    state: r.state as MessageState,
    outcome: r.outcome,
    recordId: r.record_id === null ? null : Number(r.record_id),
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at === null ? null : Number(r.lease_expires_at),
    errorCode: r.error_code,
    error: r.error,
    receivedAt: Number(r.received_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    duplicates: Number(r.duplicates),
    mailClass: r.mail_class ?? null,
    loopbackCandidate: Number(r.loopback_candidate ?? 0) === 1,
    envelope: parseEnvelope(r.envelope ?? null),
    deferUntil: r.defer_until == null ? null : Number(r.defer_until),
    routedMailbox: r.routed_mailbox ?? null,
  };
}

export function toRecordRow(r: Selectable<RecordsTable>): RecordRow {
  return {
    id: Number(r.id),
    type: r.type,
    number: r.number,
    subject: r.subject,
    requester: r.requester,
    firstText: r.first_text,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    messageCount: Number(r.message_count),
    status: r.status,
    assignee: r.assignee,
    tags: parseJson<string[]>(r.tags, []),
    fields: parseJson<Record<string, string>>(r.fields, {}),
  };
}

export function toAttachmentRow(r: Selectable<AttachmentsTable>): AttachmentRow {
  return {
    messageId: Number(r.message_ref),
    ordinal: Number(r.ordinal),
    filename: r.filename,
    contentType: r.content_type,
    size: Number(r.size),
    sha256: r.sha256,
    contentId: r.content_id,
    inline: Number(r.inline) === 1,
  };
}

export function toNoticeRow(r: Selectable<NoticesTable>): NoticeRow {
  let recipients: NoticeRow['recipients'] = [];
  try {
    const value: unknown = JSON.parse(r.recipients);
    if (Array.isArray(value)) recipients = value as NoticeRow['recipients'];
  } catch {
    // a damaged column reads as no recipients rather than breaking a listing
  }
  return {
    messageRef: Number(r.message_ref),
    kind: r.kind,
    originalMessageId: r.original_message_id,
    linkedMessageRef: r.linked_message_ref === null ? null : Number(r.linked_message_ref),
    recordId: r.record_id === null ? null : Number(r.record_id),
    recipients,
    createdAt: Number(r.created_at),
  };
}

function parseEnvelope(text: string | null): MessageRow['envelope'] {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
    return { remoteAddress: str(v['remoteAddress']), helo: str(v['helo']), mailFrom: str(v['mailFrom']) };
  } catch {
    return null;
  }
}

export function toDocumentRow(r: Selectable<DocumentsTable>): DocumentRow {
  return {
    id: Number(r.id),
    projectId: r.project_id,
    docType: r.doc_type,
    number: r.number,
    title: r.title,
    subtype: r.subtype,
    sourceContact: r.source_contact,
    responsibleParty: r.responsible_party,
    routeCurrent: Number(r.route_current),
    routeDestination: r.route_destination === null ? null : Number(r.route_destination),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** The stored trace column; a damaged one reads as empty rather than breaking a listing. */
export function parseTrace(text: string): TraceStep[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? (value as TraceStep[]) : [];
  } catch {
    return [];
  }
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

const orNull = (v: number | null): number | null => (v === null ? null : Number(v));

export function toOutboxRow(r: Selectable<OutboxTable>): OutboxRow {
  return {
    id: Number(r.id),
    messageRef: orNull(r.message_ref),
    seq: Number(r.seq),
    recordId: orNull(r.record_id),
    mailbox: r.mailbox,
    kind: r.kind,
    automatic: Number(r.automatic) === 1,
    recipient: r.recipient,
    messageId: r.message_id,
    mail: JSON.parse(r.mail) as OutboxRow['mail'],
    state: r.state as OutboxState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: orNull(r.lease_expires_at),
    lastError: r.last_error,
    createdAt: Number(r.created_at),
    sentAt: orNull(r.sent_at),
  };
}

export function toWebhookRow(r: Selectable<WebhookDeliveriesTable>): WebhookDeliveryRow {
  return {
    id: Number(r.id),
    eventId: r.event_id,
    messageRef: orNull(r.message_ref),
    endpoint: r.endpoint,
    url: r.url,
    body: r.body,
    state: r.state as WebhookState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    leaseOwner: r.lease_owner,
    leaseExpiresAt: orNull(r.lease_expires_at),
    lastStatus: orNull(r.last_status),
    lastError: r.last_error,
    createdAt: Number(r.created_at),
    deliveredAt: orNull(r.delivered_at),
  };
}
