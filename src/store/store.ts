import type {
  IntakeSource,
  MessageRow,
  MessageState,
  RecordRow,
  TraceStep,
  AttachmentRow,
  AddressStatusRow,
  NoticeRow,
  NewRecord,
} from '../core/message.ts';
import type { DocumentRouteRow, DocumentRow } from '../core/document.ts';
import type { Directory } from './directory.ts';
import type { NewOutboxRow, NewWebhookDelivery, OutboxRow, OutboxState, WebhookDeliveryRow, WebhookState } from '../core/outbound.ts';

/** A raw message just written to blob storage, about to get its spool row. */
export interface NewMessage {
  mailbox: string;
  source: IntakeSource;
  /** where it came from: a peer address, a file path; for the deliveries log */
  origin: string | null;
  dedupeKey: string;
  rawSha256: string;
  rawSize: number;
  messageId: string | null;
  subject: string | null;
  from: string | null;
  receivedAt: number;
  /** SMTP only: who connected and what they said, for SPF */
  envelope?: Envelope | null;
  /**
   * The raw bytes, when they are small enough to be committed with the row (BlobStore.inlineLimit)
   * instead of being a file already made durable under blobs/.
   */
  inlineRaw?: Buffer;
}

export interface Envelope {
  remoteAddress: string | null;
  helo: string | null;
  mailFrom: string | null;
}

export interface SpoolResult {
  id: number;
  duplicate: boolean;
}

export interface MessageFilter {
  state?: MessageState;
  mailbox?: string;
  /** only messages with a larger id (paging in id order) */
  afterId?: number;
  /** the sender's bare address, any case */
  from?: string;
  /** text the subject contains, any case (ASCII) */
  subject?: string;
  /** the Message-ID, without angle brackets */
  messageId?: string;
  /** received at or after (ms since the epoch) */
  since?: number;
  /** the last `limit` messages, newest first (default: oldest first) */
  newest?: boolean;
  limit?: number;
}

export interface ThreadMatch {
  recordId: number;
  via: 'sent' | 'stored';
  messageId: string;
}

/** Which final messages have kept their raw mail long enough. */
export interface RetentionQuery {
  states: readonly MessageState[];
  finishedBefore: number;
}

export interface PurgeCandidate {
  id: number;
  rawSha256: string;
  rawSize: number;
  state: MessageState;
}

export interface StatusReport {
  byState: Partial<Record<MessageState, number>>;
  byMailbox: Record<string, Partial<Record<MessageState, number>>>;
  oldestQueuedAt: number | null;
  records: number;
  duplicates: number;
}

/** Reads that decide and the faces may do. Nothing here writes. */
export interface StoreReader {
  getMessage(id: number): Promise<MessageRow | undefined>;
  /** Of these messages, the ones in a final state (not queued, processing or deferred), by id. */
  finishedAmong(ids: readonly number[]): Promise<Map<number, { state: MessageState; rawPurged: boolean }>>;
  /** The last message id, and the first one not in a final state (null when all are final). */
  messageIdBounds(): Promise<{ last: number; firstUnfinished: number | null }>;
  getTrace(id: number): Promise<TraceStep[]>;
  listMessages(filter: MessageFilter): Promise<MessageRow[]>;
  listAttachments(messageRef: number): Promise<AttachmentRow[]>;
  getRecord(id: number): Promise<RecordRow | undefined>;
  listRecords(limit: number): Promise<RecordRow[]>;
  /** A record's history: the mail that created or joined it, comments, bounces, in order. */
  listEntries(recordId: number): Promise<{ messageRef: number; kind: string; text: string; createdAt: number }[]>;
  /** The record of the first of these Message-IDs that is mail we sent or stored (other than `excludeRef`). */
  findThread(messageIds: readonly string[], excludeRef: number): Promise<ThreadMatch | undefined>;
  /** The record this message was already applied to, if a previous run committed it. */
  findEntryRecord(messageRef: number): Promise<number | undefined>;
  status(): Promise<StatusReport>;
  /** How many other unpurged messages share this raw blob (a duplicate in another mailbox). */
  countRawUsers(sha256: string, excludeRef: number): Promise<number>;
  /** Messages whose raw mail retention may delete: not purged, in `states`, finished before the time; by id, after `afterId`. */
  purgeCandidates(q: RetentionQuery & { limit: number; afterId?: number }): Promise<PurgeCandidate[]>;
  /**
   * Messages of `mailbox` from `from` (and with this subject, when given) received in
   * [since, until], other than `excludeRef` and not newer than it: the loopback rate window.
   * Bounded by the message's own time, so a replay counts the same.
   */
  countSenderWindow(q: {
    mailbox: string;
    from: string;
    subject?: string;
    since: number;
    until: number;
    excludeRef: number;
  }): Promise<number>;
  /** The oldest stored message (other than `excludeRef`) with this Message-ID, and its record. */
  findStoredMessage(
    messageId: string,
    excludeRef: number,
  ): Promise<{ messageRef: number; recordId: number | null } | undefined>;
  getNotice(messageRef: number): Promise<NoticeRow | undefined>;
  listNotices(filter: { originalMessageId?: string; recordId?: number }): Promise<NoticeRow[]>;
  getAddressStatus(address: string): Promise<AddressStatusRow | undefined>;
  /** The record a watermark token of mail we sent belongs to. */
  findWatermark(token: string): Promise<number | undefined>;
  findRecordByNumber(number: string): Promise<RecordRow | undefined>;
  /** The record a Message-ID first went to (the same mail reaching another monitored address). */
  findMessageRecord(messageId: string): Promise<{ recordId: number; messageRef: number } | undefined>;
  isWatcher(recordId: number, address: string): Promise<boolean>;
  getSetting(name: string): Promise<string | undefined>;
  findDocument(projectId: string | null, docType: string, number: string): Promise<DocumentRow | undefined>;
  getDocument(id: number): Promise<DocumentRow | undefined>;
  listDocuments(limit: number): Promise<DocumentRow[]>;
  getDocumentRoute(documentId: number): Promise<DocumentRouteRow[]>;
  /** The document and route row a mail we sent for a route belongs to. */
  findDocumentMail(messageId: string): Promise<{ documentId: number; rowId: string } | undefined>;
  /** Document messages whose catalogue files are not yet written (a crash after the commit). */
  pendingCatalogue(limit: number): Promise<{ messageRef: number; documentId: number; catalog: unknown }[]>;
  /** The document this message already created or joined, if a previous run committed it. */
  documentOfMessage(messageRef: number): Promise<number | undefined>;
  /** Messages that created or joined a document, with what was catalogued. */
  listDocumentMessages(documentId: number): Promise<{ messageRef: number; kind: string; catalog: unknown }[]>;
  /** Automatic answers queued since `since` to this recipient, or about this record: the loop limits. */
  countAutoAnswers(q: { recipient?: string; recordId?: number; since: number; before: number }): Promise<number>;
  /** The outgoing mail a message queued (what `rules test` compares against). */
  listOutboxOf(messageRef: number): Promise<OutboxRow[]>;
}

export interface FinishFields {
  state: MessageState;
  outcome: string | null;
  recordId: number | null;
  messageId: string | null;
  subject: string | null;
  from: string | null;
  trace: TraceStep[];
  errorCode: string | null;
  error: string | null;
  now: number;
  mailClass?: string | null;
  loopbackCandidate?: boolean;
  /** state deferred by a rule's timer: not opened again before this time (attempts start over) */
  deferUntil?: number;
  /** the mailbox a filter rule diverted the message to */
  routedMailbox?: string | null;
}

/** Writes that only apply performs, inside one transaction. */
export interface StoreWriter extends StoreReader {
  /**
   * Confirms `owner` still holds the message's lease; false when another worker took it over.
   * It is a write, so on SQLite it takes the write lock before the transaction reads anything.
   */
  holdLease(id: number, owner: string): Promise<boolean>;
  /** Queues a rule's move of an IMAP-fetched message; false when this message has one already. */
  enqueueMove(move: { messageRef: number; mailbox: string; target: string }, now: number): Promise<boolean>;
  /** Moves a claimed message to its final state; false when `owner` no longer holds the lease. */
  finishMessage(id: number, owner: string, fields: FinishFields): Promise<boolean>;
  /** The next number of a record type; gap-free because it commits or rolls back with the record. */
  allocateNumber(type: string): Promise<number>;
  insertRecord(record: NewRecord): Promise<number>;
  touchRecord(recordId: number, now: number): Promise<void>;
  insertEntry(entry: {
    recordId: number;
    messageRef: number;
    kind: string;
    text: string;
    now: number;
  }): Promise<void>;
  insertAttachments(rows: readonly AttachmentRow[]): Promise<void>;
  recordSent(messageId: string, recordId: number, now: number): Promise<void>;
  /** false when this message's notice is already stored (a replay): nothing else is counted then. */
  insertNotice(notice: NoticeRow): Promise<boolean>;
  insertWatermark(token: string, recordId: number, now: number): Promise<void>;
  insertDocument(d: Omit<DocumentRow, 'id'>): Promise<number>;
  /** Replaces the document's whole route and its current sequence. */
  replaceDocumentRoute(documentId: number, rows: readonly DocumentRouteRow[], current: number, now: number): Promise<void>;
  /** false when this message already created or joined the document (a replay). */
  insertDocumentMessage(m: { messageRef: number; documentId: number; kind: string; catalog: unknown; now: number }): Promise<boolean>;
  recordDocumentMail(messageId: string, documentId: number, rowId: string): Promise<void>;
  /** Seed 001's automatic user for a trusted domain; false when it (or its address) exists already. */
  createDirectoryUser(user: { id: string; name: string; address: string }, now: number): Promise<boolean>;
  /**
   * Records that this Message-ID went to this record; when another message already did, nothing
   * changes and that record is returned (the caller attaches instead of creating).
   */
  claimMessageRecord(messageId: string, recordId: number, messageRef: number): Promise<number>;
  addWatcher(recordId: number, address: string): Promise<void>;
  /** A hard bounce: the address is marked as bouncing (and counted). */
  markBouncing(b: { address: string; status: string; reason: string; noticeRef: number; now: number }): Promise<void>;
  /** What rules set on a record; fields merge, tags add, a comment is an entry. */
  updateRecord(recordId: number, edit: RecordEdit, now: number): Promise<void>;
  /** A comment a rule adds to a record (beside the mail's own entry). */
  addComment(c: { recordId: number; messageRef: number | null; text: string; now: number }): Promise<void>;
  /** Queues a mail; false when (messageRef, seq) is already queued (a replay). */
  enqueueMail(row: NewOutboxRow, now: number): Promise<boolean>;
  /** Queues a webhook event; false when its event id is already queued (a replay). */
  enqueueWebhook(row: NewWebhookDelivery, now: number): Promise<boolean>;
}

export interface RecordEdit {
  status?: string;
  assignee?: string;
  tags?: readonly string[];
  fields?: Readonly<Record<string, string>>;
}

/**
 * The outbox as its sender sees it: a row is claimed (leased), sent, then marked. A row whose
 * lease expired while `sending` (the sender died) is claimed again and sent with the same
 * Message-ID, so a copy that did go out the first time is recognisable downstream.
 */
export interface OutboxQueue {
  claim(owner: string, limit: number, now: number, leaseMs: number): Promise<OutboxRow[]>;
  /** false when `owner` no longer holds the row */
  markSent(id: number, owner: string, now: number): Promise<boolean>;
  retry(id: number, owner: string, nextAttemptAt: number, error: string): Promise<void>;
  fail(id: number, owner: string, error: string, now: number): Promise<void>;
  get(id: number): Promise<OutboxRow | undefined>;
  counts(): Promise<Partial<Record<OutboxState, number>>>;
  /** Makes rows held by dead senders claimable now (a crash between claim and mark). */
  releaseDead(isDead: (owner: string) => boolean): Promise<number>;
  list(filter: { state?: OutboxState; limit: number }): Promise<OutboxRow[]>;
}

/** The webhook queue as its sender and `postroom webhooks` see it. */
export interface WebhookQueue {
  claim(owner: string, limit: number, now: number, leaseMs: number): Promise<WebhookDeliveryRow[]>;
  markDelivered(id: number, owner: string, status: number, now: number): Promise<boolean>;
  retry(id: number, owner: string, nextAttemptAt: number, status: number | null, error: string): Promise<void>;
  /** the dead-letter state: no more tries until an admin replays it */
  markDead(id: number, owner: string, status: number | null, error: string, now: number): Promise<void>;
  get(id: number): Promise<WebhookDeliveryRow | undefined>;
  counts(): Promise<Partial<Record<WebhookState, number>>>;
  releaseDead(isDead: (owner: string) => boolean): Promise<number>;
  list(filter: { state?: WebhookState; limit: number }): Promise<WebhookDeliveryRow[]>;
  /** Queues a delivery again (attempts from zero, same event id); false when it does not exist. */
  replay(id: number, now: number): Promise<boolean>;
}

export interface Checkpoint {
  uidValidity: number;
  lastUid: number;
}

export interface MailboxPollStatus {
  mailbox: string;
  lastPollAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  backlog: number | null;
  owner: string | null;
}

/** What connectors keep between polls: who polls a mailbox, how far it got, how it went. */
export interface MailboxState {
  /** Takes or renews the one-poller lease of a mailbox; false while another live owner holds it. */
  acquireMailboxLease(mailbox: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  releaseMailboxLease(mailbox: string, owner: string): Promise<void>;
  getCheckpoint(mailbox: string, folder: string): Promise<Checkpoint | undefined>;
  setCheckpoint(mailbox: string, folder: string, checkpoint: Checkpoint): Promise<void>;
  /** Which of these dedupe keys the mailbox already has (POP3: UIDLs seen before). */
  knownDedupeKeys(mailbox: string, keys: readonly string[]): Promise<Set<string>>;
  recordPoll(status: MailboxPollStatus): Promise<void>;
  mailboxStatus(): Promise<MailboxPollStatus[]>;
  /** Rule moves waiting for this mailbox's poller, with where each message was fetched from. */
  pendingMoves(mailbox: string, limit: number): Promise<PendingMove[]>;
  finishMove(messageRef: number, outcome: { state: 'done' | 'failed'; error: string | null }, now: number): Promise<void>;
  /** Rule moves not made yet, per mailbox: waiting, and failed with the last failure's reason. */
  moveStatus(): Promise<MoveStatus[]>;
}

export interface MoveStatus {
  mailbox: string;
  pending: number;
  failed: number;
  lastError: string | null;
}

/** A rule's "move to a folder" for a message fetched by IMAP. */
export interface PendingMove {
  messageRef: number;
  target: string;
  /** the delivery's origin, imap:FOLDER:UIDVALIDITY:UID (the latest, when fetched twice) */
  origin: string;
}

/** The store: one interface, SQLite and PostgreSQL behind it. */
export interface Store extends StoreReader, MailboxState {
  readonly dialect: 'sqlite' | 'postgres';
  /** users, contacts, companies, projects: read by decide, written by `postroom directory import` and apply */
  readonly directory: Directory;
  /** mail to send, drained by src/outbound/outbox-sender.ts */
  readonly outbox: OutboxQueue;
  /** events to POST, drained by src/outbound/webhooks/ */
  readonly webhooks: WebhookQueue;
  /** Engine-wide settings that must be the same on every node (the signing secret); first writer wins. */
  ensureSetting(name: string, value: string): Promise<string>;
  /** Commits the spool row (or counts a duplicate delivery). Called only after the raw bytes are durable. */
  spool(message: NewMessage): Promise<SpoolResult>;
  /** Commits several spool rows (and their inline raw bytes) in one transaction: one fsync for a fetched batch. */
  spoolMany(messages: readonly NewMessage[]): Promise<SpoolResult[]>;
  /** The raw bytes committed with a spool row, or null when the raw mail is a blob file (or gone). */
  inlineRaw(sha256: string): Promise<Buffer | null>;
  deleteInlineRaw(sha256: string): Promise<void>;
  /** Removes raw mail older than `olderThanMs` that no spool row names (left by a crash between two commits); returns how many. */
  sweepRawOrphans(olderThanMs: number): Promise<number>;
  /** Leases up to `limit` messages that are due: queued, deferred and due, or processing with an expired lease. */
  claim(owner: string, limit: number, now: number, leaseMs: number): Promise<MessageRow[]>;
  /** Extends the lease of messages still being worked on. */
  renew(owner: string, ids: readonly number[], until: number): Promise<void>;
  /** Puts a claimed message back to wait for a retry. */
  defer(
    id: number,
    owner: string,
    fields: { nextAttemptAt: number; errorCode: string; error: string; trace: TraceStep[] },
  ): Promise<void>;
  /** Hands a claimed message back untouched (drain on shutdown). */
  release(id: number, owner: string): Promise<void>;
  /** Frees every lease held by these owners (workers known to be dead). */
  releaseOwners(owners: readonly string[], now?: number, stepMs?: number): Promise<number>;
  /** Owners currently holding leases, to find dead ones. */
  leaseOwners(): Promise<string[]>;
  /** Queues messages again for an admin's reprocess; returns how many. */
  requeue(target: { ids: readonly number[] } | { state: MessageState }, now: number): Promise<number>;
  markPurged(id: number): Promise<void>;
  /** markPurged, but only while the message still matches `q` (a reprocess since keeps its raw mail); true when marked. */
  markPurgedIfFinished(id: number, q: RetentionQuery): Promise<boolean>;
  /** The catalogue files of this message are on disk. */
  markCatalogued(messageRef: number): Promise<void>;
  transaction<T>(work: (tx: StoreWriter) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
