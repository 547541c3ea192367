import type { MailClass } from '../../core/screening.ts';
import type { DecideContext, Draft, Stage } from '../context.ts';

const firstTextLimit = 10_000;
const noticeClasses: ReadonlySet<MailClass> = new Set([
  'bounce',
  'delivery_notice',
  'read_receipt',
  'complaint',
]);

/**
 * Until rules exist: machine mail never opens a record (it joins the record it concerns, if
 * any); a reply joins its thread's record; anything else opens a record of the mailbox's type.
 */
export const defaultRecordStage: Stage = {
  name: 'route',
  async run(ctx, draft) {
    const parsed = draft.parsed;
    if (!parsed || draft.record) return { kind: 'continue' };
    const mailClass = draft.screening?.class ?? 'general';
    const replyText = draft.categorization?.replyText ?? parsed.text;

    if (mailClass !== 'general') {
      const recordId = (noticeClasses.has(mailClass) ? draft.noticeLink?.recordId : null) ?? draft.thread?.recordId;
      if (recordId != null) return attach(draft, recordId, mailClass, replyText, `a ${mailClass} joins the record it concerns`);
      draft.outcome = 'ignored';
      draft.trace.push({
        stage: 'route',
        looked: `class ${mailClass}`,
        concluded: 'no record',
        why: `a ${mailClass} never opens a record, and it concerns no record we hold`,
      });
      return { kind: 'continue' };
    }
    const category = draft.categorization?.category ?? 'new';
    if (draft.thread && category !== 'forward')
      return attach(draft, draft.thread.recordId, 'reply', replyText, draft.thread.why);
    return create(ctx, draft, category === 'forward' ? parsed.text : replyText);
  },
};

function attach(
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

function create(ctx: DecideContext, draft: Draft, text: string): { kind: 'continue' } {
  const parsed = draft.parsed!;
  const type = ctx.mailbox.recordType;
  draft.record = {
    kind: 'create',
    type,
    subject: parsed.subject,
    requester: parsed.from?.address ?? ctx.message.from ?? '',
    firstText: text.trim().slice(0, firstTextLimit),
  };
  draft.outcome = 'created';
  draft.trace.push({
    stage: 'route',
    looked: `mailbox ${ctx.mailbox.address}`,
    concluded: `create a ${type} record`,
    why: 'not a reply to a known record; the mailbox default record type applies',
  });
  return { kind: 'continue' };
}
