import type { MessageRow, RecordRow, TraceStep } from '../core/message.ts';
import type { OutgoingMail } from '../core/outbound.ts';
import type { Plan } from '../core/plan.ts';
import type { SigningSettings } from '../decide/context.ts';
import type { PlannedMail } from '../decide/route/route-draft.ts';
import { prepareOutgoing } from '../domain/records/outgoing.ts';
import { signedMessageId } from '../domain/records/signed-message-id.ts';
import { renderTemplate, type TemplateVars } from '../domain/rules/templates.ts';
import type { StoreWriter } from '../store/store.ts';
import { webhookDocument } from './webhook-document.ts';

/** What apply needs to turn a route plan into rows: who we send as, where endpoints are. */
export interface RouteApplySettings {
  signing: SigningSettings;
  /** lower-cased mailbox address → the From of its answers */
  senders: Readonly<Record<string, { address: string; name: string }>>;
  /** endpoint name → URL */
  endpoints: Readonly<Record<string, string>>;
  /** webhooks.schedule[0]: the delay before the first try */
  webhookFirstDelayMs: number;
}

/**
 * The route's effects, inside the message's transaction: record edits and comments, the
 * outbox rows of answers and forwards, the webhook rows. `firstRun` is false when an earlier
 * run already committed this message (a reprocess): edits and comments are not added twice,
 * and outbox rows keyed by (message, seq) are not queued twice.
 */
export async function applyRoute(
  tx: StoreWriter,
  message: MessageRow,
  plan: Plan,
  recordId: number | null,
  firstRun: boolean,
  settings: RouteApplySettings,
  trace: TraceStep[],
  now: number,
): Promise<void> {
  const route = plan.route;
  if (!route) return;
  let record = recordId !== null ? ((await tx.getRecord(recordId)) ?? null) : null;
  const vars = (watermark?: string): TemplateVars => templateVars(message, plan, record, watermark);

  if (record && firstRun) {
    const e = route.edits;
    const fields = Object.fromEntries(Object.entries(e.fields).map(([k, t]) => [k, renderTemplate(t, vars())]));
    const edit = {
      ...(e.status !== null ? { status: fields['status'] ?? e.status } : {}),
      ...(e.assignee !== null ? { assignee: e.assignee } : {}),
      ...(e.tags.length > 0 ? { tags: e.tags } : {}),
      ...(Object.keys(fields).length > 0 ? { fields } : {}),
    };
    if (Object.keys(edit).length > 0) {
      await tx.updateRecord(record.id, edit, now);
      record = (await tx.getRecord(record.id)) ?? record;
      trace.push({ stage: 'apply', looked: record.number, concluded: `set ${Object.keys(edit).join(', ')}`, why: 'the rules that fired set them' });
    }
    for (const template of e.comments)
      await tx.addComment({ recordId: record.id, messageRef: message.id, text: renderTemplate(template, vars()), now });
  }

  const mailbox = route.divertedTo ?? message.mailbox.toLowerCase();
  const from = settings.senders[mailbox] ?? { address: mailbox, name: '' };
  // A reprocess finds the answers of the first run queued: they stand, and no Message-ID or
  // watermark is spent on a mail that will not be sent.
  const queuedBefore = new Set((await tx.listOutboxOf(message.id)).map((row) => row.seq));
  for (const [seq, planned] of route.outgoing.entries()) {
    if (queuedBefore.has(seq)) {
      trace.push({ stage: 'apply', looked: `rule ${planned.rule}`, concluded: `${planned.kind} already queued`, why: 'an earlier run of this message queued it' });
      continue;
    }
    const identity = record
      ? await prepareOutgoing(tx, record, settings.signing, now)
      : { messageId: signedMessageId(`MSG${message.id}`, settings.signing.secret, settings.signing.domain), watermark: '' };
    const mail = outgoingMail(planned, message, plan, record, from, identity, vars(identity.watermark), now);
    const queued = await tx.enqueueMail(
      {
        messageRef: message.id,
        seq,
        recordId: record?.id ?? null,
        mailbox,
        kind: planned.kind,
        automatic: planned.automatic,
        recipient: planned.to[0] ?? '',
        messageId: identity.messageId,
        mail,
        createdAt: now,
      },
      now,
    );
    trace.push({
      stage: 'apply',
      looked: `rule ${planned.rule}`,
      concluded: queued ? `queued ${planned.kind} to ${planned.to.join(', ')}` : `${planned.kind} already queued`,
      why: queued ? `Message-ID <${identity.messageId}>` : 'an earlier run of this message queued it',
    });
  }

  if (route.moveTo !== null) {
    // Made by the mailbox's poller at its next poll: the IMAP connection is the poller's.
    const queued = await tx.enqueueMove({ messageRef: message.id, mailbox: message.mailbox, target: route.moveTo }, now);
    trace.push({
      stage: 'apply',
      looked: `folder ${route.moveTo}`,
      concluded: queued ? 'move queued' : 'move already queued',
      why: queued ? `the mailbox's poller moves it on the server at its next poll` : 'an earlier run of this message queued it',
    });
  }

  for (const endpoint of route.webhooks) {
    const url = settings.endpoints[endpoint];
    if (url === undefined) continue;
    // One event per message and endpoint: a reprocess finds it queued and adds none (the
    // receiver would otherwise see the same mail twice under two keys).
    const eventId = `msg${message.id}-${endpoint}`;
    const actions = route.fired.flatMap((f) => f.actions.map((a) => `${f.phase}:${f.rule}:${a}`));
    const queued = await tx.enqueueWebhook(
      { eventId, messageRef: message.id, endpoint, url, body: webhookDocument({ eventId, endpoint, message, plan, record, actions, now }), createdAt: now },
      now + settings.webhookFirstDelayMs,
    );
    trace.push({
      stage: 'apply',
      looked: `endpoint ${endpoint}`,
      concluded: queued ? 'webhook queued' : 'webhook already queued',
      why: queued ? `event ${eventId}` : `an earlier run of this message queued event ${eventId}`,
    });
  }
}

function templateVars(message: MessageRow, plan: Plan, record: RecordRow | null, watermark?: string): TemplateVars {
  const p = plan.parsed;
  return {
    record: record && {
      number: record.number,
      type: record.type,
      subject: record.subject,
      status: record.status,
      assignee: record.assignee,
      tags: record.tags,
      fields: record.fields,
    },
    message: {
      subject: p?.subject ?? message.subject ?? '',
      from: p?.from?.address ?? message.from ?? '',
      fromName: p?.from?.name ?? '',
      to: (p?.to ?? []).map((a) => a.address),
      date: new Date(p?.date ?? message.receivedAt).toISOString(),
      text: p?.text ?? '',
      messageId: p?.messageId ?? null,
    },
    replyText: plan.categorization?.replyText ?? p?.text ?? '',
    ...(watermark ? { watermark } : {}),
    mailbox: message.mailbox,
  };
}

const prefixed = (prefix: string, subject: string): string =>
  subject.toLowerCase().startsWith(prefix.toLowerCase()) ? subject : `${prefix} ${subject}`;

function outgoingMail(
  planned: PlannedMail,
  message: MessageRow,
  plan: Plan,
  record: RecordRow | null,
  from: { address: string; name: string },
  identity: { messageId: string; watermark: string },
  vars: TemplateVars,
  now: number,
): OutgoingMail {
  const p = plan.parsed;
  const original = p?.subject ?? message.subject ?? '';
  const originalId = p?.messageId ?? message.messageId;
  // The record number in the subject is what people (and other systems) quote back.
  const tagged = (s: string): string => (record && !s.includes(record.number) ? `${s} [${record.number}]` : s);
  const body = planned.template !== null ? renderTemplate(planned.template, vars) : '';
  const headers: Record<string, string> = { 'X-Postroom-Mailbox': from.address };
  if (record) headers['X-Postroom-Record'] = record.number;
  if (planned.automatic) {
    headers['Auto-Submitted'] = 'auto-replied';
    headers['X-Auto-Response-Suppress'] = 'All';
  } else if (planned.kind === 'forward') {
    headers['Auto-Submitted'] = 'auto-generated';
  }
  const threaded = planned.kind === 'reply' || planned.kind === 'notice';
  return {
    from,
    to: planned.to,
    cc: [],
    subject:
      planned.subject !== null
        ? renderTemplate(planned.subject, vars)
        : planned.kind === 'forward'
          ? tagged(prefixed('Fwd:', original))
          : planned.kind === 'redirect'
            ? original
            : tagged(prefixed('Re:', original)),
    text: identity.watermark ? `${body.trimEnd()}\n\n${identity.watermark}\n` : body,
    html: null,
    messageId: identity.messageId,
    date: now,
    inReplyTo: threaded ? originalId : null,
    references: threaded && originalId ? [...(p?.references ?? []), originalId] : [],
    headers,
    attachOriginal: planned.kind === 'forward' ? { sha256: message.rawSha256, filename: 'original.eml' } : null,
    resendOriginal: planned.kind === 'redirect' ? { sha256: message.rawSha256 } : null,
  };
}
