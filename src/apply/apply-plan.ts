import { PostroomError } from '../core/errors.ts';
import type { MessageRow, TraceStep } from '../core/message.ts';
import type { DocumentChange, Plan, PlanNotice } from '../core/plan.ts';
import type { RecordTypeSettings } from '../decide/context.ts';
import { formatRecordNumber } from '../domain/records/record-number.ts';
import type { Store, StoreWriter } from '../store/store.ts';
import { applyRoute, type RouteApplySettings } from './apply-route.ts';

export interface ApplyResult {
  recordId: number | null;
  recordNumber: string | null;
  /** the project document the mail created or joined (seed 004) */
  document?: DocumentRef;
}

export interface DocumentRef {
  id: number;
  projectId: string | null;
  docType: string;
  number: string;
}

/**
 * Commits a plan and the message's final state in one transaction: either all of it (record,
 * entry, attachments, state, trace) is there afterwards or none of it. A replay after a crash
 * or a reprocess finds the entry already written and does not create a second record.
 */
export interface ApplySettings {
  recordTypes: Readonly<Record<string, RecordTypeSettings>>;
  /** for answers and webhooks; absent where nothing is ever sent (the decide sandbox) */
  route?: RouteApplySettings;
}

export async function applyPlan(
  store: Store,
  message: MessageRow,
  owner: string,
  plan: Plan,
  settings: ApplySettings,
  now: number,
): Promise<ApplyResult> {
  const { recordTypes } = settings;
  return store.transaction(async (tx) => {
    if (!(await tx.holdLease(message.id, owner))) {
      throw new PostroomError('lease_lost', `message ${message.id} was taken over by another worker`);
    }
    const trace = [...plan.trace];
    let result: ApplyResult = { recordId: null, recordNumber: null };
    const earlier = await tx.findEntryRecord(message.id);
    if (earlier !== undefined) {
      const record = await tx.getRecord(earlier);
      result = { recordId: earlier, recordNumber: record?.number ?? null };
      trace.push({
        stage: 'apply',
        looked: 'record entries',
        concluded: `keep ${result.recordNumber}`,
        why: 'this message was already applied',
      });
    } else if (plan.record) {
      result = await applyRecord(tx, message, plan.record, recordTypes, now);
      trace.push({
        stage: 'apply',
        looked: 'plan',
        concluded: `${plan.record.kind === 'create' ? 'created' : 'updated'} ${result.recordNumber}`,
        why: 'committed with the message state',
      });
    }
    if (plan.route && settings.route)
      await applyRoute(tx, message, plan, result.recordId, earlier === undefined, settings.route, trace, now);
    if (plan.notice) await applyNotice(tx, message, plan.notice, result.recordId, trace, now);
    if (plan.document) {
      const document = await applyDocument(tx, message, plan.document, trace, now);
      if (document) result = { ...result, document };
    }
    if (plan.createUser && (await tx.createDirectoryUser(plan.createUser, now)))
      trace.push({
        stage: 'apply',
        looked: 'directory',
        concluded: `created user ${plan.createUser.id}`,
        why: 'an unknown sender from a trusted domain (autoCreateUsersFrom)',
      });
    await tx.insertAttachments(plan.attachments.map((a) => ({ ...a, messageId: message.id })));
    await tx.finishMessage(message.id, owner, {
      state: plan.state,
      outcome: plan.outcome,
      recordId: result.recordId,
      messageId: plan.summary.messageId,
      subject: plan.summary.subject,
      from: plan.summary.from,
      trace,
      errorCode: plan.error?.code ?? null,
      error: plan.error?.reason ?? null,
      now,
      mailClass: plan.screening?.class ?? null,
      loopbackCandidate: plan.screening?.loop?.processed === true,
      routedMailbox: plan.route?.divertedTo ?? null,
      ...(plan.state === 'deferred' && plan.deferUntil !== undefined ? { deferUntil: plan.deferUntil } : {}),
    });
    return result;
  });
}

/**
 * Stores the notice with its links; a hard bounce marks each failed address as bouncing. A
 * replay finds the notice already stored and counts nothing twice.
 */
async function applyNotice(
  tx: StoreWriter,
  message: MessageRow,
  link: PlanNotice,
  recordId: number | null,
  trace: TraceStep[],
  now: number,
): Promise<void> {
  const { notice } = link;
  const inserted = await tx.insertNotice({
    messageRef: message.id,
    kind: notice.kind,
    originalMessageId: notice.originalMessageId,
    linkedMessageRef: link.linkedMessageRef,
    recordId: link.recordId ?? recordId,
    recipients: notice.recipients.map((r) => ({
      address: r.address,
      status: r.status,
      replyCode: r.replyCode,
      hard: r.hard,
      reason: r.reason,
    })),
    createdAt: now,
  });
  if (!inserted || notice.kind !== 'bounce') return;
  const hard = notice.recipients.filter((r) => r.hard && r.address.length > 0);
  for (const r of hard)
    await tx.markBouncing({ address: r.address, status: r.status, reason: r.reason, noticeRef: message.id, now });
  if (hard.length > 0)
    trace.push({
      stage: 'apply',
      looked: 'bounce recipients',
      concluded: `marked ${hard.map((r) => r.address).join(', ')} as bouncing`,
      why: 'a permanent failure (hard bounce)',
    });
}

/** Seed 004: creates the document or joins it and stores its new route; a replay changes nothing. */
async function applyDocument(
  tx: StoreWriter,
  message: MessageRow,
  change: DocumentChange,
  trace: TraceStep[],
  now: number,
): Promise<DocumentRef | undefined> {
  const earlier = await tx.documentOfMessage(message.id);
  if (earlier !== undefined) {
    trace.push({ stage: 'apply', looked: 'document messages', concluded: `keep document ${earlier}`, why: 'this message was already applied' });
    const row = await tx.getDocument(earlier);
    return row && { id: row.id, projectId: row.projectId, docType: row.docType, number: row.number };
  }
  if (change.kind === 'create') {
    const counter = `~doc ${change.projectId ?? ''} ${change.docType}`;
    const number = String(change.firstNumber - 1 + (await tx.allocateNumber(counter))).padStart(change.digits, '0');
    const documentId = await tx.insertDocument({
      projectId: change.projectId,
      docType: change.docType,
      number,
      title: change.title,
      subtype: change.subtype,
      sourceContact: change.sourceContact,
      responsibleParty: change.responsibleParty,
      routeCurrent: 1,
      routeDestination: null,
      createdAt: now,
      updatedAt: now,
    });
    await tx.insertDocumentMessage({ messageRef: message.id, documentId, kind: 'created', catalog: change.catalog, now });
    trace.push({
      stage: 'apply',
      looked: 'plan',
      concluded: `created ${change.docType} # ${number}${change.projectId ? ` in ${change.projectId}` : ''}`,
      why: 'committed with the message state',
    });
    return { id: documentId, projectId: change.projectId, docType: change.docType, number };
  }
  if (change.route) await tx.replaceDocumentRoute(change.documentId, change.route.rows, change.route.current, now);
  await tx.insertDocumentMessage({ messageRef: message.id, documentId: change.documentId, kind: 'attached', catalog: change.catalog, now });
  trace.push({ stage: 'apply', looked: 'plan', concluded: `attached to document # ${change.number}`, why: 'route and catalogue committed with the message state' });
  const row = await tx.getDocument(change.documentId);
  return row && { id: row.id, projectId: row.projectId, docType: row.docType, number: row.number };
}

async function applyRecord(
  tx: StoreWriter,
  message: MessageRow,
  change: NonNullable<Plan['record']>,
  recordTypes: Readonly<Record<string, RecordTypeSettings>>,
  now: number,
): Promise<ApplyResult> {
  if (change.kind === 'attach') {
    await tx.touchRecord(change.recordId, now);
    await tx.insertEntry({
      recordId: change.recordId,
      messageRef: message.id,
      kind: change.entryKind ?? 'reply',
      text: change.text,
      now,
    });
    const record = await tx.getRecord(change.recordId);
    return { recordId: change.recordId, recordNumber: record?.number ?? null };
  }
  const type = recordTypes[change.type];
  if (!type)
    throw new PostroomError('internal', `record type ${change.type} is not configured (recordTypes)`);
  const number = formatRecordNumber(type, await tx.allocateNumber(change.type));
  const recordId = await tx.insertRecord({
    type: change.type,
    number,
    subject: change.subject,
    requester: change.requester,
    firstText: change.firstText,
    createdAt: now,
    updatedAt: now,
  });
  if (change.claimKey !== undefined) {
    const owner = await tx.claimMessageRecord(change.claimKey, recordId, message.id);
    // Rolls this transaction back: the copy is decided again and joins the record that won.
    if (owner !== recordId)
      throw new PostroomError('record_race', `the same mail opened ${owner} a moment ago; this copy joins it`);
  }
  for (const address of change.watchers ?? []) await tx.addWatcher(recordId, address);
  await tx.insertEntry({ recordId, messageRef: message.id, kind: 'created', text: change.firstText, now });
  return { recordId, recordNumber: number };
}
