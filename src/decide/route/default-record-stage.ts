import type { MailClass } from '../../core/screening.ts';
import type { Stage } from '../context.ts';
import { attach, claimKeyOf, create } from './record-choice.ts';

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
    if (!parsed || draft.record || draft.document || draft.route?.recordHandled || draft.route?.ended)
      return { kind: 'continue' };
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
    if (draft.thread && category !== 'forward') {
      const identity = draft.identity;
      if (identity?.trust === 'unverified' && !identity.unverifiedMay.includes('update')) {
        draft.trace.push({
          stage: 'route',
          looked: `record ${draft.thread.number}`,
          concluded: identity.unverifiedMay.includes('create') ? 'open a new record instead' : 'rejected',
          why: `the sender is unverified and may only ${identity.unverifiedMay.join(', ') || 'nothing'} (trust.unverifiedMay)`,
        });
        if (!identity.unverifiedMay.includes('create'))
          return { kind: 'stop', state: 'rejected', why: 'an unverified sender may not update records' };
        return create(ctx, draft, replyText, null);
      }
      return attach(draft, draft.thread.recordId, 'reply', replyText, draft.thread.why);
    }
    const unverified = draft.identity?.trust === 'unverified' ? draft.identity : null;
    if (unverified && !unverified.unverifiedMay.includes('create')) {
      draft.trace.push({ stage: 'route', looked: 'trust policy', concluded: 'rejected', why: 'an unverified sender may not open records (trust.unverifiedMay)' });
      return { kind: 'stop', state: 'rejected', why: 'an unverified sender may not open records' };
    }
    const claimKey = claimKeyOf(ctx, parsed.messageId);
    if (claimKey) {
      const first = await ctx.store.findMessageRecord(claimKey);
      if (first && first.messageRef !== ctx.message.id)
        return attach(draft, first.recordId, 'copy', replyText, `the same mail (Message-ID <${parsed.messageId}>) already reached a monitored address as message ${first.messageRef}`);
    }
    return create(ctx, draft, category === 'forward' ? parsed.text : replyText, claimKey);
  },
};

