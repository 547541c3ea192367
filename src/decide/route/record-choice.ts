import type { DecideContext, Draft } from '../context.ts';

const firstTextLimit = 10_000;

export function attach(
  draft: Draft,
  recordId: number,
  entryKind: string,
  text: string,
  why: string,
): { kind: 'continue' } {
  draft.record = { kind: 'attach', recordId, text, entryKind };
  draft.outcome = 'attached';
  draft.trace.push({
    stage: 'route',
    looked: `record ${draft.thread?.recordId === recordId ? draft.thread.number : recordId}`,
    concluded: `attach as ${entryKind}`,
    why,
  });
  return { kind: 'continue' };
}

/** fanOut merge: one record per Message-ID across mailboxes; separate: one per mailbox. */
export function claimKeyOf(ctx: DecideContext, messageId: string | null): string | null {
  if (!messageId) return null;
  return ctx.mailbox.fanOut === 'separate' ? `${ctx.mailbox.address.toLowerCase()} ${messageId}` : messageId;
}

export function create(
  ctx: DecideContext,
  draft: Draft,
  text: string,
  claimKey: string | null,
  options: { type?: string; requester?: string; why?: string } = {},
): { kind: 'continue' } {
  const parsed = draft.parsed!;
  const mailbox = draft.route?.mailbox ?? ctx.mailbox;
  const type = options.type ?? mailbox.recordType;
  const requester = options.requester ?? parsed.from?.address ?? ctx.message.from ?? '';
  const own = ctx.mailbox.address.toLowerCase();
  const watchers = [...new Set([...parsed.to, ...parsed.cc].map((a) => a.address))].filter(
    (a) => a !== own && a !== requester,
  );
  draft.record = {
    kind: 'create',
    type,
    subject: parsed.subject,
    requester,
    firstText: text.trim().slice(0, firstTextLimit),
    ...(claimKey ? { claimKey } : {}),
    ...(watchers.length > 0 ? { watchers: watchers.slice(0, 50) } : {}),
  };
  draft.outcome = 'created';
  draft.trace.push({
    stage: 'route',
    looked: `mailbox ${mailbox.address}`,
    concluded: `create a ${type} record${requester !== (parsed.from?.address ?? requester) ? ` for ${requester}` : ''}`,
    why: options.why ?? 'not a reply to a known record; the mailbox default record type applies',
  });
  return { kind: 'continue' };
}
