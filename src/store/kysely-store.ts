import { sql, type Kysely, type Transaction } from 'kysely';
import type { MessageState, TraceStep } from '../core/message.ts';
import type {
  Checkpoint,
  FinishFields,
  MailboxPollStatus,
  MessageFilter,
  MoveStatus,
  PendingMove,
  NewMessage,
  SpoolResult,
  PurgeCandidate,
  RetentionQuery,
  StatusReport,
  Store,
  StoreReader,
  StoreWriter,
  RecordEdit,
  ThreadMatch,
} from './store.ts';
import { KyselyOutboxQueue } from './outbox-queue.ts';
import { KyselyWebhookQueue } from './webhook-queue.ts';
import { DirectoryStore } from './directory-store.ts';
import { writeDirectoryEntities } from './directory-writes.ts';
import { immediateTransaction } from './immediate-transaction.ts';
import { storeCall } from './store-call.ts';
import type { RawLocation, SqliteRawFile } from './sqlite/raw-file.ts';
import type { Database } from './tables.ts';
import { parseTrace, toAttachmentRow, toDocumentRow, toMessageRow, toNoticeRow, toOutboxRow, toRecordRow } from './row-mapping.ts';
import type { NewOutboxRow, NewWebhookDelivery, OutboxRow } from '../core/outbound.ts';
import type { DocumentRouteRow, DocumentRow } from '../core/document.ts';
import type { AddressStatusRow, AttachmentRow, MessageRow, NewRecord, NoticeRow, RecordRow } from '../core/message.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** Mail may carry NUL (0x00); PostgreSQL TEXT cannot hold it. Every text from mail is stored without it, on both backends alike. */
function txt<T extends string | null>(value: T): T {
  return (
    typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '') : value
  ) as T;
}


/** Reads shared by the store and its transactions. */
class Reader implements StoreReader {
  protected readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async getMessage(id: number): Promise<MessageRow | undefined> {
    return storeCall(async () => {
      const row = await this.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toMessageRow(row);
    });
  }

  async finishedAmong(ids: readonly number[]): Promise<Map<number, { state: MessageState; rawPurged: boolean }>> {
    return storeCall(async () => {
      const finished = new Map<number, { state: MessageState; rawPurged: boolean }>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await this.db
          .selectFrom('messages')
          .select(['id', 'state', 'raw_purged'])
          .where('id', 'in', ids.slice(i, i + 500))
          .where('state', 'not in', ['queued', 'processing', 'deferred'])
          .execute();
        for (const r of rows) finished.set(Number(r.id), { state: r.state as MessageState, rawPurged: Number(r.raw_purged) === 1 });
      }
      return finished;
    });
  }

  async messageIdBounds(): Promise<{ last: number; firstUnfinished: number | null }> {
    return storeCall(async () => {
      const last = await this.db.selectFrom('messages').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      const unfinished = await this.db
        .selectFrom('messages')
        .select((eb) => eb.fn.min('id').as('id'))
        .where('state', 'in', ['queued', 'processing', 'deferred'])
        .executeTakeFirst();
      return { last: Number(last?.id ?? 0), firstUnfinished: unfinished?.id == null ? null : Number(unfinished.id) };
    });
  }

  async getTrace(id: number): Promise<TraceStep[]> {
    return storeCall(async () => {
      const row = await this.db
        .selectFrom('messages')
        .select('trace')
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? parseTrace(row.trace) : [];
    });
  }

  async listMessages(filter: MessageFilter): Promise<MessageRow[]> {
    return storeCall(async () => {
      let query = this.db.selectFrom('messages').selectAll();
      if (filter.state) query = query.where('state', '=', filter.state);
      if (filter.mailbox) query = query.where('mailbox', '=', filter.mailbox);
      if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
      if (filter.from) query = query.where('from_addr', '=', filter.from.toLowerCase());
      if (filter.messageId) query = query.where('message_id', '=', filter.messageId);
      if (filter.since !== undefined) query = query.where('received_at', '>=', filter.since);
      if (filter.subject) {
        // LIKE with its wildcards escaped: the admin's text is matched as it is.
        const pattern = `%${filter.subject.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query = query.where(sql<boolean>`lower(${sql.ref('subject')}) LIKE lower(${pattern}) ESCAPE '\\'`);
      }
      const rows = await query
        .orderBy('id', filter.newest ? 'desc' : 'asc')
        .limit(filter.limit ?? 1000)
        .execute();
      return rows.map(toMessageRow);
    });
  }

  async listAttachments(messageRef: number): Promise<AttachmentRow[]> {
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('attachments')
        .selectAll()
        .where('message_ref', '=', messageRef)
        .orderBy('ordinal')
        .execute();
      return rows.map(toAttachmentRow);
    });
  }

  async getRecord(id: number): Promise<RecordRow | undefined> {
    return storeCall(async () => {
      const row = await this.db.selectFrom('records').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRecordRow(row);
    });
  }

  async listRecords(limit: number): Promise<RecordRow[]> {
    return storeCall(async () => {
      const rows = await this.db.selectFrom('records').selectAll().orderBy('id').limit(limit).execute();
      return rows.map(toRecordRow);
    });
  }

  async listEntries(recordId: number): Promise<{ messageRef: number; kind: string; text: string; createdAt: number }[]> {
    const entries = await this.db
      .selectFrom('record_entries')
      .select(['message_ref', 'kind', 'text', 'created_at'])
      .where('record_id', '=', recordId)
      .orderBy('id')
      .execute();
    const comments = await this.db
      .selectFrom('record_comments')
      .select(['message_ref', 'text', 'created_at'])
      .where('record_id', '=', recordId)
      .orderBy('id')
      .execute();
    // A rule's comment follows the mail that caused it (stable sort: same time keeps this order).
    return [
      ...entries.map((r) => ({ messageRef: Number(r.message_ref), kind: r.kind, text: r.text, createdAt: Number(r.created_at) })),
      ...comments.map((r) => ({ messageRef: Number(r.message_ref ?? 0), kind: 'comment', text: r.text, createdAt: Number(r.created_at) })),
    ].sort((a, b) => a.createdAt - b.createdAt);
  }

  async findThread(messageIds: readonly string[], excludeRef: number): Promise<ThreadMatch | undefined> {
    return storeCall(async () => {
      if (messageIds.length === 0) return undefined;
      const sent = await this.db
        .selectFrom('sent_messages')
        .select(['message_id', 'record_id'])
        .where('message_id', 'in', [...messageIds])
        .execute();
      const stored = await this.db
        .selectFrom('messages')
        .select(['message_id', 'record_id'])
        .where('message_id', 'in', [...messageIds])
        .where('record_id', 'is not', null)
        .where('id', '!=', excludeRef)
        .execute();
      // The newest reference (last in References, or In-Reply-To) is the closest parent.
      for (const id of [...messageIds].reverse()) {
        const s = sent.find((r) => r.message_id === id);
        if (s) return { recordId: Number(s.record_id), via: 'sent', messageId: id };
        const m = stored.find((r) => r.message_id === id);
        if (m && m.record_id !== null) return { recordId: Number(m.record_id), via: 'stored', messageId: id };
      }
      return undefined;
    });
  }

  async countSenderWindow(q: {
    mailbox: string;
    from: string;
    subject?: string;
    since: number;
    until: number;
    excludeRef: number;
  }): Promise<number> {
    return storeCall(async () => {
      let query = this.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('mailbox', '=', q.mailbox)
        .where('from_addr', '=', q.from)
        .where('received_at', '>=', q.since)
        .where('received_at', '<=', q.until)
        .where('id', '<', q.excludeRef);
      if (q.subject !== undefined) query = query.where('subject', '=', q.subject);
      const row = await query.executeTakeFirst();
      return Number(row?.n ?? 0);
    });
  }

  async findStoredMessage(
    messageId: string,
    excludeRef: number,
  ): Promise<{ messageRef: number; recordId: number | null } | undefined> {
    return storeCall(async () => {
      const row = await this.db
        .selectFrom('messages')
        .select(['id', 'record_id'])
        .where('message_id', '=', messageId)
        .where('id', '!=', excludeRef)
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row && { messageRef: Number(row.id), recordId: row.record_id === null ? null : Number(row.record_id) };
    });
  }

  async getNotice(messageRef: number): Promise<NoticeRow | undefined> {
    return storeCall(async () => {
      const row = await this.db.selectFrom('notices').selectAll().where('message_ref', '=', messageRef).executeTakeFirst();
      return row && toNoticeRow(row);
    });
  }

  async listNotices(filter: { originalMessageId?: string; recordId?: number }): Promise<NoticeRow[]> {
    return storeCall(async () => {
      let query = this.db.selectFrom('notices').selectAll().orderBy('id').limit(1000);
      if (filter.originalMessageId !== undefined)
        query = query.where('original_message_id', '=', filter.originalMessageId);
      if (filter.recordId !== undefined) query = query.where('record_id', '=', filter.recordId);
      return (await query.execute()).map(toNoticeRow);
    });
  }

  async getAddressStatus(address: string): Promise<AddressStatusRow | undefined> {
    return storeCall(async () => {
      const r = await this.db
        .selectFrom('address_status')
        .selectAll()
        .where('address', '=', address.toLowerCase())
        .executeTakeFirst();
      return (
        r && {
          address: r.address,
          bouncing: Number(r.bouncing) === 1,
          bounces: Number(r.bounces),
          lastStatus: r.last_status,
          lastReason: r.last_reason,
          lastNoticeRef: r.last_notice_ref === null ? null : Number(r.last_notice_ref),
          updatedAt: Number(r.updated_at),
        }
      );
    });
  }

  async findWatermark(token: string): Promise<number | undefined> {
    return storeCall(async () => {
      const row = await this.db.selectFrom('watermarks').select('record_id').where('token', '=', token).executeTakeFirst();
      return row === undefined ? undefined : Number(row.record_id);
    });
  }

  async findRecordByNumber(number: string): Promise<RecordRow | undefined> {
    return storeCall(async () => {
      const row = await this.db.selectFrom('records').selectAll().where('number', '=', number).executeTakeFirst();
      return row && toRecordRow(row);
    });
  }

  async findMessageRecord(messageId: string): Promise<{ recordId: number; messageRef: number } | undefined> {
    return storeCall(async () => {
      const row = await this.db
        .selectFrom('message_records')
        .select(['record_id', 'message_ref'])
        .where('message_id', '=', messageId)
        .executeTakeFirst();
      return row && { recordId: Number(row.record_id), messageRef: Number(row.message_ref) };
    });
  }

  async isWatcher(recordId: number, address: string): Promise<boolean> {
    return storeCall(async () => {
      const row = await this.db
        .selectFrom('record_watchers')
        .select('address')
        .where('record_id', '=', recordId)
        .where('address', '=', address.toLowerCase())
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  async findDocument(projectId: string | null, docType: string, number: string): Promise<DocumentRow | undefined> {
    return storeCall(async () => {
      let q = this.db.selectFrom('documents').selectAll().where('doc_type', '=', docType).where('number', '=', number);
      q = projectId === null ? q.where('project_id', 'is', null) : q.where('project_id', '=', projectId);
      const row = await q.executeTakeFirst();
      return row && toDocumentRow(row);
    });
  }

  async getDocument(id: number): Promise<DocumentRow | undefined> {
    return storeCall(async () => {
      const row = await this.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toDocumentRow(row);
    });
  }

  async listDocuments(limit: number): Promise<DocumentRow[]> {
    return storeCall(async () => (await this.db.selectFrom('documents').selectAll().orderBy('id').limit(limit).execute()).map(toDocumentRow));
  }

  async getDocumentRoute(documentId: number): Promise<DocumentRouteRow[]> {
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('document_route')
        .selectAll()
        .where('document_id', '=', documentId)
        .orderBy('seq')
        .orderBy('row_id')
        .execute();
      return rows.map((r) => ({ rowId: r.row_id, seq: Number(r.seq), party: r.party, state: r.state as DocumentRouteRow['state'] }));
    });
  }

  async findDocumentMail(messageId: string): Promise<{ documentId: number; rowId: string } | undefined> {
    return storeCall(async () => {
      const row = await this.db.selectFrom('document_mails').selectAll().where('message_id', '=', messageId).executeTakeFirst();
      return row && { documentId: Number(row.document_id), rowId: row.row_id };
    });
  }

  async pendingCatalogue(limit: number): Promise<{ messageRef: number; documentId: number; catalog: unknown }[]> {
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('document_messages')
        .select(['message_ref', 'document_id', 'catalog'])
        .where('catalogued', '=', 0)
        .orderBy('message_ref')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ messageRef: Number(r.message_ref), documentId: Number(r.document_id), catalog: JSON.parse(r.catalog) as unknown }));
    });
  }

  async documentOfMessage(messageRef: number): Promise<number | undefined> {
    return storeCall(async () => {
      const row = await this.db.selectFrom('document_messages').select('document_id').where('message_ref', '=', messageRef).executeTakeFirst();
      return row === undefined ? undefined : Number(row.document_id);
    });
  }

  async listDocumentMessages(documentId: number): Promise<{ messageRef: number; kind: string; catalog: unknown }[]> {
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('document_messages')
        .selectAll()
        .where('document_id', '=', documentId)
        .orderBy('message_ref')
        .execute();
      return rows.map((r) => ({ messageRef: Number(r.message_ref), kind: r.kind, catalog: JSON.parse(r.catalog) as unknown }));
    });
  }

  async countAutoAnswers(q: { recipient?: string; recordId?: number; since: number; before: number }): Promise<number> {
    let query = this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('automatic', '=', 1)
      .where('created_at', '>=', q.since)
      .where('created_at', '<', q.before);
    if (q.recipient !== undefined) query = query.where('recipient', '=', q.recipient.toLowerCase());
    if (q.recordId !== undefined) query = query.where('record_id', '=', q.recordId);
    const row = await query.executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async listOutboxOf(messageRef: number): Promise<OutboxRow[]> {
    const rows = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('message_ref', '=', messageRef)
      .orderBy('seq')
      .execute();
    return rows.map(toOutboxRow);
  }

  async getSetting(name: string): Promise<string | undefined> {
    return storeCall(async () => {
      const row = await this.db.selectFrom('engine_settings').select('value').where('name', '=', name).executeTakeFirst();
      return row?.value;
    });
  }

  async findEntryRecord(messageRef: number): Promise<number | undefined> {
    return storeCall(async () => {
      const row = await this.db
        .selectFrom('record_entries')
        .select('record_id')
        .where('message_ref', '=', messageRef)
        .executeTakeFirst();
      return row ? Number(row.record_id) : undefined;
    });
  }

  async countRawUsers(sha256: string, excludeRef: number): Promise<number> {
    return storeCall(async () => {
      const row = await this.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('raw_sha256', '=', sha256)
        .where('raw_purged', '=', 0)
        .where('id', '!=', excludeRef)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    });
  }

  async purgeCandidates(q: RetentionQuery & { limit: number; afterId?: number }): Promise<PurgeCandidate[]> {
    if (q.states.length === 0) return [];
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('messages')
        .select(['id', 'raw_sha256', 'raw_size', 'state'])
        .where('raw_purged', '=', 0)
        .where('state', 'in', [...q.states])
        .where('finished_at', '<', q.finishedBefore)
        .where('id', '>', q.afterId ?? 0)
        // A forward or redirect still to be sent reads the original: its raw mail waits for it.
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('outbox')
                .select('outbox.id')
                .whereRef('outbox.message_ref', '=', 'messages.id')
                .where('outbox.state', 'in', ['queued', 'sending']),
            ),
          ),
        )
        .orderBy('id')
        .limit(q.limit)
        .execute();
      return rows.map((r) => ({ id: Number(r.id), rawSha256: r.raw_sha256, rawSize: Number(r.raw_size), state: r.state as MessageState }));
    });
  }

  async status(): Promise<StatusReport> {
    return storeCall(async () => {
      const rows = await this.db
        .selectFrom('messages')
        .select([
          'mailbox',
          'state',
          (eb) => eb.fn.countAll<number>().as('n'),
          (eb) => eb.fn.sum<number>('duplicates').as('dups'),
        ])
        .groupBy(['mailbox', 'state'])
        .execute();
      const report: StatusReport = {
        byState: {},
        byMailbox: {},
        oldestQueuedAt: null,
        records: 0,
        duplicates: 0,
      };
      for (const row of rows) {
        const state = row.state as MessageState;
        const n = Number(row.n);
        report.byState[state] = (report.byState[state] ?? 0) + n;
        const box = (report.byMailbox[row.mailbox] ??= {});
        box[state] = (box[state] ?? 0) + n;
        report.duplicates += Number(row.dups ?? 0);
      }
      const oldest = await this.db
        .selectFrom('messages')
        .select((eb) => eb.fn.min<number>('received_at').as('t'))
        .where('state', 'in', ['queued', 'deferred', 'processing'])
        .executeTakeFirst();
      report.oldestQueuedAt = oldest?.t == null ? null : Number(oldest.t);
      const records = await this.db
        .selectFrom('records')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      report.records = Number(records?.n ?? 0);
      return report;
    });
  }
}

class Writer extends Reader implements StoreWriter {
  async createDirectoryUser(user: { id: string; name: string; address: string }, now: number): Promise<boolean> {
    const exists = await this.db.selectFrom('directory_parties').select('id').where('id', '=', user.id).executeTakeFirst();
    const owned = await this.db
      .selectFrom('directory_addresses')
      .select('party_id')
      .where('address', '=', user.address)
      .executeTakeFirst();
    if (exists || owned) return false;
    await writeDirectoryEntities(
      this.db,
      [{ kind: 'user', party: { id: user.id, kind: 'user', name: user.name, addresses: [user.address], companyId: null, lockedOut: false } }],
      now,
    );
    return true;
  }

  async enqueueMove(move: { messageRef: number; mailbox: string; target: string }, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('imap_moves')
      .values({ message_ref: move.messageRef, mailbox: move.mailbox, target: move.target, created_at: now })
      .onConflict((oc) => oc.column('message_ref').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async holdLease(id: number, owner: string): Promise<boolean> {
    const result = await this.db
      .updateTable('messages')
      .set((eb) => ({ lease_expires_at: eb.ref('lease_expires_at') }))
      .where('id', '=', id)
      .where('state', '=', 'processing')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async finishMessage(id: number, owner: string, f: FinishFields): Promise<boolean> {
    const result = await this.db
      .updateTable('messages')
      .set({
        state: f.state,
        outcome: f.outcome,
        record_id: f.recordId,
        message_id: txt(f.messageId),
        subject: txt(f.subject),
        from_addr: txt(f.from),
        trace: JSON.stringify(f.trace),
        error_code: f.errorCode,
        error: txt(f.error),
        finished_at: f.now,
        mail_class: f.mailClass ?? null,
        loopback_candidate: f.loopbackCandidate === true ? 1 : 0,
        routed_mailbox: f.routedMailbox ?? null,
        ...(f.deferUntil !== undefined
          ? { defer_until: f.deferUntil, next_attempt_at: f.deferUntil, attempts: 0 }
          : {}),
        lease_owner: null,
        lease_expires_at: null,
      })
      .where('id', '=', id)
      .where('state', '=', 'processing')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async allocateNumber(type: string): Promise<number> {
    await this.db
      .insertInto('record_counters')
      .values({ type, last: 0 })
      .onConflict((oc) => oc.column('type').doNothing())
      .execute();
    const row = await this.db
      .updateTable('record_counters')
      .set((eb) => ({ last: eb('last', '+', 1) }))
      .where('type', '=', type)
      .returning('last')
      .executeTakeFirstOrThrow();
    return Number(row.last);
  }

  async insertRecord(r: NewRecord): Promise<number> {
    const row = await this.db
      .insertInto('records')
      .values({
        type: r.type,
        number: r.number,
        subject: txt(r.subject),
        requester: txt(r.requester),
        first_text: txt(r.firstText),
        created_at: r.createdAt,
        updated_at: r.updatedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async touchRecord(recordId: number, now: number): Promise<void> {
    await this.db
      .updateTable('records')
      .set((eb) => ({ updated_at: now, message_count: eb('message_count', '+', 1) }))
      .where('id', '=', recordId)
      .execute();
  }

  async insertEntry(e: {
    recordId: number;
    messageRef: number;
    kind: string;
    text: string;
    now: number;
  }): Promise<void> {
    await this.db
      .insertInto('record_entries')
      .values({
        record_id: e.recordId,
        message_ref: e.messageRef,
        kind: e.kind,
        text: txt(e.text),
        created_at: e.now,
      })
      .execute();
  }

  async insertAttachments(rows: readonly AttachmentRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('attachments')
      .values(
        rows.map((a) => ({
          message_ref: a.messageId,
          ordinal: a.ordinal,
          filename: txt(a.filename),
          content_type: txt(a.contentType),
          size: a.size,
          sha256: a.sha256,
          content_id: txt(a.contentId),
          inline: a.inline ? 1 : 0,
        })),
      )
      .onConflict((oc) => oc.columns(['message_ref', 'ordinal']).doNothing())
      .execute();
  }

  async insertWatermark(token: string, recordId: number, now: number): Promise<void> {
    await this.db.insertInto('watermarks').values({ token, record_id: recordId, created_at: now }).execute();
  }

  async insertDocument(d: Omit<DocumentRow, 'id'>): Promise<number> {
    const row = await this.db
      .insertInto('documents')
      .values({
        project_id: d.projectId,
        doc_type: d.docType,
        number: d.number,
        title: txt(d.title) ?? '',
        subtype: d.subtype,
        source_contact: d.sourceContact,
        responsible_party: d.responsibleParty,
        route_current: d.routeCurrent,
        route_destination: d.routeDestination,
        created_at: d.createdAt,
        updated_at: d.updatedAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async replaceDocumentRoute(documentId: number, rows: readonly DocumentRouteRow[], current: number, now: number): Promise<void> {
    await this.db.deleteFrom('document_route').where('document_id', '=', documentId).execute();
    if (rows.length > 0)
      await this.db
        .insertInto('document_route')
        .values(rows.map((r) => ({ document_id: documentId, row_id: r.rowId, seq: r.seq, party: r.party, state: r.state })))
        .execute();
    await this.db.updateTable('documents').set({ route_current: current, updated_at: now }).where('id', '=', documentId).execute();
  }

  async insertDocumentMessage(m: { messageRef: number; documentId: number; kind: string; catalog: unknown; now: number }): Promise<boolean> {
    const result = await this.db
      .insertInto('document_messages')
      .values({ message_ref: m.messageRef, document_id: m.documentId, kind: m.kind, catalog: JSON.stringify(m.catalog), created_at: m.now })
      .onConflict((oc) => oc.column('message_ref').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async recordDocumentMail(messageId: string, documentId: number, rowId: string): Promise<void> {
    await this.db
      .insertInto('document_mails')
      .values({ message_id: messageId, document_id: documentId, row_id: rowId })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .execute();
  }

  async claimMessageRecord(messageId: string, recordId: number, messageRef: number): Promise<number> {
    await this.db
      .insertInto('message_records')
      .values({ message_id: messageId, record_id: recordId, message_ref: messageRef })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .execute();
    const row = await this.db
      .selectFrom('message_records')
      .select('record_id')
      .where('message_id', '=', messageId)
      .executeTakeFirstOrThrow();
    return Number(row.record_id);
  }

  async addWatcher(recordId: number, address: string): Promise<void> {
    await this.db
      .insertInto('record_watchers')
      .values({ record_id: recordId, address: address.toLowerCase() })
      .onConflict((oc) => oc.columns(['record_id', 'address']).doNothing())
      .execute();
  }

  async insertNotice(n: NoticeRow): Promise<boolean> {
    const result = await this.db
      .insertInto('notices')
      .values({
        message_ref: n.messageRef,
        kind: n.kind,
        original_message_id: txt(n.originalMessageId),
        linked_message_ref: n.linkedMessageRef,
        record_id: n.recordId,
        recipients: txt(JSON.stringify(n.recipients)) ?? '[]',
        created_at: n.createdAt,
      })
      .onConflict((oc) => oc.column('message_ref').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async markBouncing(b: { address: string; status: string; reason: string; noticeRef: number; now: number }): Promise<void> {
    const values = {
      address: b.address.toLowerCase(),
      bouncing: 1,
      bounces: 1,
      last_status: txt(b.status),
      last_reason: txt(b.reason),
      last_notice_ref: b.noticeRef,
      updated_at: b.now,
    };
    await this.db
      .insertInto('address_status')
      .values(values)
      .onConflict((oc) =>
        oc.column('address').doUpdateSet((eb) => ({
          bouncing: 1,
          bounces: eb('address_status.bounces', '+', 1),
          last_status: values.last_status,
          last_reason: values.last_reason,
          last_notice_ref: b.noticeRef,
          updated_at: b.now,
        })),
      )
      .execute();
  }

  async updateRecord(recordId: number, edit: RecordEdit, now: number): Promise<void> {
    const current = await this.getRecord(recordId);
    if (!current) return;
    await this.db
      .updateTable('records')
      .set({
        updated_at: now,
        ...(edit.status !== undefined ? { status: edit.status } : {}),
        ...(edit.assignee !== undefined ? { assignee: txt(edit.assignee) } : {}),
        ...(edit.tags ? { tags: JSON.stringify([...new Set([...current.tags, ...edit.tags])]) } : {}),
        ...(edit.fields ? { fields: txt(JSON.stringify({ ...current.fields, ...edit.fields })) } : {}),
      })
      .where('id', '=', recordId)
      .execute();
  }

  async addComment(c: { recordId: number; messageRef: number | null; text: string; now: number }): Promise<void> {
    await this.db
      .insertInto('record_comments')
      .values({ record_id: c.recordId, message_ref: c.messageRef, text: txt(c.text), created_at: c.now })
      .execute();
  }

  async enqueueMail(row: NewOutboxRow, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('outbox')
      .values({
        message_ref: row.messageRef,
        seq: row.seq,
        record_id: row.recordId,
        mailbox: row.mailbox,
        kind: row.kind,
        automatic: row.automatic ? 1 : 0,
        recipient: row.recipient.toLowerCase(),
        message_id: row.messageId,
        mail: txt(JSON.stringify(row.mail)),
        next_attempt_at: now,
        created_at: row.createdAt,
      })
      .onConflict((oc) => oc.columns(['message_ref', 'seq']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async enqueueWebhook(row: NewWebhookDelivery, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto('webhook_deliveries')
      .values({
        event_id: row.eventId,
        message_ref: row.messageRef,
        endpoint: row.endpoint,
        url: row.url,
        body: txt(row.body),
        next_attempt_at: now,
        created_at: row.createdAt,
      })
      .onConflict((oc) => oc.column('event_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async recordSent(messageId: string, recordId: number, now: number): Promise<void> {
    await this.db
      .insertInto('sent_messages')
      .values({ message_id: messageId, record_id: recordId, sent_at: now })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .execute();
  }
}

/** The store over Kysely; the two backends differ only in how they open and how they claim. */
export class KyselyStore extends Reader implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly directory: DirectoryStore;
  readonly outbox: KyselyOutboxQueue;
  readonly webhooks: KyselyWebhookQueue;
  private readonly kysely: Kysely<Database>;
  /** SQLite's raw mail file (sqlite/raw-file.ts): raw mail goes there, not in raw_inline. */
  private readonly rawFile: SqliteRawFile | undefined;

  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', options: { rawFile?: SqliteRawFile } = {}) {
    super(db);
    this.kysely = db;
    this.dialect = dialect;
    this.rawFile = options.rawFile;
    this.directory = new DirectoryStore(db, dialect);
    this.outbox = new KyselyOutboxQueue(db, dialect);
    this.webhooks = new KyselyWebhookQueue(db, dialect);
  }

  async ensureSetting(name: string, value: string): Promise<string> {
    return storeCall(async () => {
      await this.kysely
        .insertInto('engine_settings')
        .values({ name, value })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await this.kysely
        .selectFrom('engine_settings')
        .select('value')
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      return row.value;
    });
  }

  async spool(m: NewMessage): Promise<SpoolResult> {
    const [result] = await this.spoolMany([m]);
    if (!result) throw new Error('spoolMany returned no row');
    return result;
  }

  async spoolMany(messages: readonly NewMessage[]): Promise<SpoolResult[]> {
    if (messages.length === 0) return [];
    return storeCall(async () => {
      let rows = messages;
      let located: RawLocation[] = [];
      if (this.rawFile) {
        // Two commits, raw mail first: the rows must never be able to outlive their bytes. A
        // crash in between leaves raw mail nothing names, which sweepRawOrphans() removes.
        located = this.rawFile.append(await this.unstoredRaws(messages), Date.now());
        rows = messages.map((m) => {
          const row = { ...m };
          delete row.inlineRaw;
          return row;
        });
      }
      return this.inTransaction(async (trx) => {
        for (let i = 0; i < located.length; i += spoolChunk) {
          await trx
            .insertInto('raw_index')
            .values(located.slice(i, i + spoolChunk))
            .onConflict((oc) => oc.column('sha256').doNothing())
            .execute();
        }
        const results: SpoolResult[] = [];
        for (let i = 0; i < rows.length; i += spoolChunk) results.push(...(await spoolChunkOf(trx, rows.slice(i, i + spoolChunk))));
        return results;
      });
    });
  }

  /** The inline raw mail of `messages` whose bytes the raw file does not hold yet, by hash. */
  private async unstoredRaws(messages: readonly NewMessage[]): Promise<Map<string, Buffer>> {
    const raws = new Map<string, Buffer>();
    for (const m of messages) if (m.inlineRaw) raws.set(m.rawSha256, m.inlineRaw);
    const shas = [...raws.keys()];
    for (let i = 0; i < shas.length; i += spoolChunk) {
      const known = await this.kysely.selectFrom('raw_index').select('sha256').where('sha256', 'in', shas.slice(i, i + spoolChunk)).execute();
      for (const row of known) raws.delete(row.sha256); // one more delivery of stored bytes
    }
    return raws;
  }

  async inlineRaw(sha256: string): Promise<Buffer | null> {
    return storeCall(async () => {
      if (this.rawFile) {
        const located = await this.db.selectFrom('raw_index').select('raw_id').where('sha256', '=', sha256).executeTakeFirst();
        const bytes = located ? this.rawFile.read(located.raw_id) : null;
        if (bytes) return bytes;
      }
      // Mail spooled before the raw file existed, and all raw mail on PostgreSQL.
      const row = await this.db.selectFrom('raw_inline').select('bytes').where('sha256', '=', sha256).executeTakeFirst();
      return row ? Buffer.from(row.bytes) : null;
    });
  }

  async deleteInlineRaw(sha256: string): Promise<void> {
    await storeCall(async () => {
      if (this.rawFile) {
        const located = await this.db.selectFrom('raw_index').select('raw_id').where('sha256', '=', sha256).executeTakeFirst();
        // The index entry first: a crash before the bytes go leaves an orphan to sweep, never an
        // entry that names nothing.
        await this.db.deleteFrom('raw_index').where('sha256', '=', sha256).execute();
        if (located) this.rawFile.delete(located.raw_id);
      }
      await this.db.deleteFrom('raw_inline').where('sha256', '=', sha256).execute();
    });
  }

  async sweepRawOrphans(olderThanMs: number): Promise<number> {
    const rawFile = this.rawFile;
    if (!rawFile) return 0; // elsewhere raw mail commits with its rows: nothing to sweep
    return storeCall(async () => {
      // Only older ones: younger raw mail may belong to a spool commit still on its way.
      const ids = rawFile.idsToSweep(Date.now() - olderThanMs);
      let removed = 0;
      for (let i = 0; i < ids.length; i += spoolChunk) {
        const chunk = ids.slice(i, i + spoolChunk);
        const named = new Set((await this.db.selectFrom('raw_index').select('raw_id').where('raw_id', 'in', chunk).execute()).map((r) => Number(r.raw_id)));
        for (const id of chunk) {
          if (named.has(id)) continue;
          rawFile.delete(id);
          removed += 1;
        }
      }
      const last = ids.at(-1);
      if (last !== undefined) rawFile.sweptThrough(last);
      return removed;
    });
  }

  async claim(owner: string, limit: number, now: number, leaseMs: number): Promise<MessageRow[]> {
    return storeCall(async () => {
      let due = this.kysely
        .selectFrom('messages')
        .select('id')
        .where((eb) =>
          eb.or([
            eb.and([eb('state', 'in', ['queued', 'deferred']), eb('next_attempt_at', '<=', now)]),
            eb.and([eb('state', '=', 'processing'), eb('lease_expires_at', '<', now)]),
          ]),
        )
        .orderBy('id')
        .limit(limit);
      // PostgreSQL: concurrent workers skip each other's rows instead of waiting on them.
      // SQLite has one writer at a time, so the single UPDATE below is already exclusive.
      if (this.dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await this.kysely
        .updateTable('messages')
        .set((eb) => ({
          state: 'processing',
          lease_owner: owner,
          lease_expires_at: now + leaseMs,
          attempts: eb('attempts', '+', 1),
        }))
        .where('id', 'in', due)
        .returningAll()
        .execute();
      return rows.map(toMessageRow).sort((a, b) => a.id - b.id);
    });
  }

  async renew(owner: string, ids: readonly number[], until: number): Promise<void> {
    if (ids.length === 0) return;
    await storeCall(() =>
      this.kysely
        .updateTable('messages')
        .set({ lease_expires_at: until })
        .where('id', 'in', [...ids])
        .where('lease_owner', '=', owner)
        .where('state', '=', 'processing')
        .execute(),
    );
  }

  async defer(
    id: number,
    owner: string,
    f: { nextAttemptAt: number; errorCode: string; error: string; trace: TraceStep[] },
  ): Promise<void> {
    await storeCall(() =>
      this.kysely
        .updateTable('messages')
        .set({
          state: 'deferred',
          next_attempt_at: f.nextAttemptAt,
          error_code: f.errorCode,
          error: f.error,
          trace: JSON.stringify(f.trace),
          lease_owner: null,
          lease_expires_at: null,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute(),
    );
  }

  async release(id: number, owner: string): Promise<void> {
    await storeCall(() =>
      this.kysely
        .updateTable('messages')
        .set((eb) => ({
          state: 'queued',
          lease_owner: null,
          lease_expires_at: null,
          attempts: eb('attempts', '-', 1),
        }))
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('state', '=', 'processing')
        .execute(),
    );
  }

  async releaseOwners(owners: readonly string[], now = 0, stepMs = 0): Promise<number> {
    if (owners.length === 0) return 0;
    const result = await storeCall(() =>
      this.kysely
        .updateTable('messages')
        .set({
          state: 'queued',
          lease_owner: null,
          lease_expires_at: null,
          // Back after the other mail, later for each claim that died: a crash-looping engine
          // does not spend the attempts of the same oldest messages on every short life.
          next_attempt_at: sql<number>`CAST(${now} AS BIGINT) + attempts * CAST(${stepMs} AS BIGINT)`,
        })
        .where('lease_owner', 'in', [...owners])
        .where('state', '=', 'processing')
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows);
  }

  async leaseOwners(): Promise<string[]> {
    const rows = await storeCall(() =>
      this.kysely
        .selectFrom('messages')
        .select('lease_owner')
        .distinct()
        .where('state', '=', 'processing')
        .execute(),
    );
    return rows.flatMap((r) => (r.lease_owner ? [r.lease_owner] : []));
  }

  async requeue(target: { ids: readonly number[] } | { state: MessageState }, now: number): Promise<number> {
    let query = this.kysely.updateTable('messages').set({
      state: 'queued',
      attempts: 0,
      next_attempt_at: now,
      lease_owner: null,
      lease_expires_at: null,
      error_code: null,
      error: null,
      finished_at: null,
    });
    if ('ids' in target) {
      if (target.ids.length === 0) return 0;
      query = query.where('id', 'in', [...target.ids]);
    } else {
      query = query.where('state', '=', target.state);
    }
    // A purged message has no raw bytes left to decide on again.
    const result = await storeCall(() =>
      query.where('raw_purged', '=', 0).where('state', '!=', 'processing').executeTakeFirst(),
    );
    return Number(result.numUpdatedRows);
  }

  async acquireMailboxLease(mailbox: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    return storeCall(async () => {
      // Taken when free, expired, or already ours (a renewal); one statement, so two nodes cannot both win.
      const row = await this.kysely
        .insertInto('mailbox_leases')
        .values({ mailbox, owner, expires_at: now + leaseMs })
        .onConflict((oc) =>
          oc
            .column('mailbox')
            .doUpdateSet({ owner, expires_at: now + leaseMs })
            .where((eb) =>
              eb.or([eb('mailbox_leases.expires_at', '<', now), eb('mailbox_leases.owner', '=', owner)]),
            ),
        )
        .returning('owner')
        .executeTakeFirst();
      return row?.owner === owner;
    });
  }

  async releaseMailboxLease(mailbox: string, owner: string): Promise<void> {
    await storeCall(() =>
      this.kysely
        .deleteFrom('mailbox_leases')
        .where('mailbox', '=', mailbox)
        .where('owner', '=', owner)
        .execute(),
    );
  }

  async getCheckpoint(mailbox: string, folder: string): Promise<Checkpoint | undefined> {
    return storeCall(async () => {
      const row = await this.kysely
        .selectFrom('mailbox_checkpoints')
        .select(['uid_validity', 'last_uid'])
        .where('mailbox', '=', mailbox)
        .where('folder', '=', folder)
        .executeTakeFirst();
      return row && { uidValidity: Number(row.uid_validity), lastUid: Number(row.last_uid) };
    });
  }

  async setCheckpoint(mailbox: string, folder: string, c: Checkpoint): Promise<void> {
    await storeCall(() =>
      this.kysely
        .insertInto('mailbox_checkpoints')
        .values({ mailbox, folder, uid_validity: c.uidValidity, last_uid: c.lastUid })
        .onConflict((oc) =>
          oc.columns(['mailbox', 'folder']).doUpdateSet({ uid_validity: c.uidValidity, last_uid: c.lastUid }),
        )
        .execute(),
    );
  }

  async knownDedupeKeys(mailbox: string, keys: readonly string[]): Promise<Set<string>> {
    return storeCall(async () => {
      const known = new Set<string>();
      // Chunks keep every query under SQLite's and PostgreSQL's parameter limits.
      for (let i = 0; i < keys.length; i += 500) {
        const rows = await this.kysely
          .selectFrom('messages')
          .select('dedupe_key')
          .where('mailbox', '=', mailbox)
          .where('dedupe_key', 'in', keys.slice(i, i + 500))
          .execute();
        for (const r of rows) known.add(r.dedupe_key);
      }
      return known;
    });
  }

  async pendingMoves(mailbox: string, limit: number): Promise<PendingMove[]> {
    return storeCall(async () => {
      const rows = await this.kysely
        .selectFrom('imap_moves as m')
        .innerJoin('deliveries as d', 'd.message_ref', 'm.message_ref')
        .select(['m.message_ref', 'm.target', 'd.origin', 'd.id'])
        .where('m.mailbox', '=', mailbox)
        .where('m.state', '=', 'pending')
        .where('d.origin', 'like', 'imap:%')
        .orderBy('m.message_ref')
        .orderBy('d.id')
        .limit(limit * 4)
        .execute();
      // The latest delivery wins: a message fetched again after a UIDVALIDITY change lives there.
      const latest = new Map<number, PendingMove>();
      for (const r of rows) latest.set(Number(r.message_ref), { messageRef: Number(r.message_ref), target: r.target, origin: r.origin ?? '' });
      // A full window may have cut the last message's later deliveries off: it waits for the next call.
      const last = rows.at(-1);
      if (rows.length === limit * 4 && last && latest.size > 1) latest.delete(Number(last.message_ref));
      return [...latest.values()].slice(0, limit);
    });
  }

  async finishMove(messageRef: number, outcome: { state: 'done' | 'failed'; error: string | null }, now: number): Promise<void> {
    await storeCall(() =>
      this.kysely
        .updateTable('imap_moves')
        .set({ state: outcome.state, error: outcome.error, done_at: now })
        .where('message_ref', '=', messageRef)
        .execute(),
    );
  }

  async moveStatus(): Promise<MoveStatus[]> {
    return storeCall(async () => {
      const counts = await this.kysely
        .selectFrom('imap_moves')
        .select(['mailbox', 'state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('state', 'in', ['pending', 'failed'])
        .groupBy(['mailbox', 'state'])
        .execute();
      const byMailbox = new Map<string, MoveStatus>();
      for (const row of counts) {
        const entry = byMailbox.get(row.mailbox) ?? { mailbox: row.mailbox, pending: 0, failed: 0, lastError: null };
        if (row.state === 'pending') entry.pending = Number(row.n);
        else entry.failed = Number(row.n);
        byMailbox.set(row.mailbox, entry);
      }
      for (const entry of byMailbox.values()) {
        if (entry.failed === 0) continue;
        const last = await this.kysely
          .selectFrom('imap_moves')
          .select('error')
          .where('mailbox', '=', entry.mailbox)
          .where('state', '=', 'failed')
          .orderBy('done_at', 'desc')
          .limit(1)
          .executeTakeFirst();
        entry.lastError = last?.error ?? null;
      }
      return [...byMailbox.values()];
    });
  }

  async recordPoll(st: MailboxPollStatus): Promise<void> {
    const values = {
      last_poll_at: st.lastPollAt,
      last_success_at: st.lastSuccessAt,
      last_error: st.lastError,
      backlog: st.backlog,
      owner: st.owner,
    };
    await storeCall(() =>
      this.kysely
        .insertInto('mailbox_status')
        .values({ mailbox: st.mailbox, ...values })
        .onConflict((oc) =>
          oc.column('mailbox').doUpdateSet((eb) => ({
            ...values,
            // The poller knows only its own successes: after a restart or a takeover it reports
            // null until its first good poll, which must not erase the one on record (status would
            // say "never" and call the mailbox stalled at its first failure).
            last_success_at: eb.fn.coalesce(
              eb.ref('excluded.last_success_at'),
              eb.ref('mailbox_status.last_success_at'),
            ),
          })),
        )
        .execute(),
    );
  }

  async mailboxStatus(): Promise<MailboxPollStatus[]> {
    return storeCall(async () => {
      const rows = await this.kysely.selectFrom('mailbox_status').selectAll().orderBy('mailbox').execute();
      const n = (v: number | null): number | null => (v === null ? null : Number(v));
      return rows.map((r) => ({
        mailbox: r.mailbox,
        lastPollAt: n(r.last_poll_at),
        lastSuccessAt: n(r.last_success_at),
        lastError: r.last_error,
        backlog: n(r.backlog),
        owner: r.owner,
      }));
    });
  }

  async markPurged(id: number): Promise<void> {
    await storeCall(() =>
      this.kysely.updateTable('messages').set({ raw_purged: 1 }).where('id', '=', id).execute(),
    );
  }

  async markPurgedIfFinished(id: number, q: RetentionQuery): Promise<boolean> {
    if (q.states.length === 0) return false;
    const result = await storeCall(() =>
      this.kysely
        .updateTable('messages')
        .set({ raw_purged: 1 })
        .where('id', '=', id)
        .where('raw_purged', '=', 0)
        .where('state', 'in', [...q.states])
        .where('finished_at', '<', q.finishedBefore)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  async markCatalogued(messageRef: number): Promise<void> {
    await storeCall(() =>
      this.kysely.updateTable('document_messages').set({ catalogued: 1 }).where('message_ref', '=', messageRef).execute(),
    );
  }

  async transaction<T>(work: (tx: StoreWriter) => Promise<T>): Promise<T> {
    return storeCall(() => this.inTransaction((trx) => work(new Writer(trx))));
  }

  /**
   * SQLite: BEGIN IMMEDIATE takes the write lock up front, so a transaction that reads before it
   * writes cannot fail with SQLITE_BUSY_SNAPSHOT when another process or thread wrote meanwhile;
   * busy_timeout makes it wait for the lock instead.
   */
  private async inTransaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.kysely.transaction().execute(work);
    return immediateTransaction(this.kysely, work);
  }

  async close(): Promise<void> {
    await this.kysely.destroy();
    this.rawFile?.close();
  }
}

/** Rows per INSERT: well under both dialects' limits on bound parameters (10 per message row). */
const spoolChunk = 200;

/**
 * Spool rows (or one more delivery of a message already spooled) inside the caller's
 * transaction: one multi-row INSERT per table, since a statement's cost, not a row's, dominates.
 */
async function spoolChunkOf(trx: Db, chunk: readonly NewMessage[]): Promise<SpoolResult[]> {
  const keyOf = (mailbox: string, dedupeKey: string): string => `${mailbox}\n${dedupeKey}`;
  const inserted = await trx
    .insertInto('messages')
    .values(
      chunk.map((m) => ({
        mailbox: m.mailbox,
        source: m.source,
        dedupe_key: m.dedupeKey,
        raw_sha256: m.rawSha256,
        raw_size: m.rawSize,
        message_id: txt(m.messageId),
        subject: txt(m.subject),
        from_addr: txt(m.from),
        received_at: m.receivedAt,
        envelope: m.envelope ? txt(JSON.stringify(m.envelope)) : null,
      })),
    )
    .onConflict((oc) => oc.columns(['mailbox', 'dedupe_key']).doNothing())
    .returning(['id', 'mailbox', 'dedupe_key'])
    .execute();
  // A key inserted now is new for its first row in the chunk; every other row with it (the same
  // mail twice in one batch, or a key stored earlier) is one more delivery of that message.
  const fresh = new Map(inserted.map((r) => [keyOf(r.mailbox, r.dedupe_key), Number(r.id)]));
  const results: SpoolResult[] = [];
  const raws = new Map<string, Buffer>();
  for (const m of chunk) {
    const key = keyOf(m.mailbox, m.dedupeKey);
    const id = fresh.get(key);
    if (id !== undefined) {
      fresh.delete(key);
      results.push({ id, duplicate: false });
      // Only a new row keeps bytes: a duplicate names the bytes its first delivery stored.
      if (m.inlineRaw) raws.set(m.rawSha256, m.inlineRaw);
      continue;
    }
    const existing = await trx
      .updateTable('messages')
      .set((eb) => ({ duplicates: eb('duplicates', '+', 1) }))
      .where('mailbox', '=', m.mailbox)
      .where('dedupe_key', '=', m.dedupeKey)
      .returning('id')
      .executeTakeFirstOrThrow();
    results.push({ id: Number(existing.id), duplicate: true });
  }
  if (raws.size > 0) {
    await trx
      .insertInto('raw_inline')
      .values([...raws].map(([sha256, bytes]) => ({ sha256, size: bytes.length, bytes })))
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
  }
  await trx
    .insertInto('deliveries')
    .values(
      chunk.map((m, i) => ({
        message_ref: results[i]?.id ?? 0,
        source: m.source,
        origin: m.origin,
        duplicate: results[i]?.duplicate ? 1 : 0,
        received_at: m.receivedAt,
      })),
    )
    .execute();
  return results;
}
