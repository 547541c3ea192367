import type { MessageRow, RecordRow } from '../core/message.ts';
import type { Plan } from '../core/plan.ts';

/**
 * The JSON document a webhook endpoint receives, fixed at commit. Attachments are listed with
 * their hashes; the sender adds `content` (base64) or `url` per endpoint when it posts, so the
 * stored row stays small.
 */
export function webhookDocument(input: {
  eventId: string;
  endpoint: string;
  message: MessageRow;
  plan: Plan;
  record: RecordRow | null;
  actions: string[];
  now: number;
}): string {
  const { message, plan, record } = input;
  const p = plan.parsed;
  const identity = plan.identity;
  return JSON.stringify({
    event: 'message.settled',
    eventId: input.eventId,
    createdAt: new Date(input.now).toISOString(),
    endpoint: input.endpoint,
    message: {
      id: message.id,
      mailbox: message.mailbox,
      routedMailbox: plan.route?.divertedTo ?? null,
      state: plan.state,
      outcome: plan.outcome,
      messageId: p?.messageId ?? message.messageId,
      inReplyTo: p?.inReplyTo ?? [],
      references: p?.references ?? [],
      date: p?.date ? new Date(p.date).toISOString() : null,
      receivedAt: new Date(message.receivedAt).toISOString(),
      from: p?.from ?? null,
      to: p?.to ?? [],
      cc: p?.cc ?? [],
      subject: p?.subject ?? message.subject ?? '',
      headers: p?.headers ?? {},
      text: p?.text ?? '',
      html: p?.html ?? null,
      replyText: plan.categorization?.replyText ?? null,
      attachments: (p?.attachments ?? []).map((a) => ({
        ordinal: a.ordinal,
        filename: a.filename,
        contentType: a.contentType,
        size: a.size,
        sha256: a.sha256,
        contentId: a.contentId,
        inline: a.inline,
      })),
    },
    class: plan.screening?.class ?? null,
    category: plan.categorization?.category ?? null,
    identity: identity
      ? {
          address: identity.address,
          kind: identity.party?.kind ?? (identity.guest ? 'guest' : 'unknown'),
          id: identity.party?.id ?? null,
          name: identity.party?.name ?? null,
          companyId: identity.party?.companyId ?? null,
          trust: identity.trust,
        }
      : null,
    record: record
      ? {
          id: record.id,
          number: record.number,
          type: record.type,
          subject: record.subject,
          requester: record.requester,
          status: record.status,
          assignee: record.assignee,
          tags: record.tags,
          fields: record.fields,
        }
      : null,
    actions: input.actions,
  });
}
