import type { Categorization, Category } from '../../core/screening.ts';
import type { DecideContext, Draft, Stage } from '../context.ts';
import { findForwarded } from './forwarded.ts';
import { trimReply } from './reply-text.ts';
import { leadingPrefix } from './subject-prefix.ts';

/**
 * Stage 4 (seed 001): forward, then reply, then new, in that fixed order; plus the new text of
 * the mail without its quoted history. It also finds the record the mail threads to (thread
 * headers naming mail we sent or stored) and the mail a notice concerns; route decides what
 * to do with them. Record numbers in the subject are the identify issue's seam.
 */
export const categorizeStage: Stage = {
  name: 'categorize',
  async run(ctx, draft) {
    const parsed = draft.parsed;
    if (!parsed) return { kind: 'continue' };
    await linkNotice(ctx, draft);
    await findThread(ctx, draft);

    const evidence: string[] = [];
    const forwardPrefix = leadingPrefix(parsed.subject, ctx.prefixes.forward);
    const forwarded = findForwarded(parsed);
    const replyPrefix = leadingPrefix(parsed.subject, ctx.prefixes.reply);
    let category: Category = 'new';
    if (forwardPrefix || forwarded) {
      category = 'forward';
      if (forwardPrefix) evidence.push(`subject starts with forward prefix "${forwardPrefix}"`);
      if (forwarded)
        evidence.push(
          `forwarded block from ${forwarded.from?.address ?? 'an unknown sender'}${forwarded.subject ? `, subject "${forwarded.subject}"` : ''}`,
        );
    } else if (replyPrefix || draft.thread) {
      category = 'reply';
      if (replyPrefix) evidence.push(`subject starts with reply prefix "${replyPrefix}"`);
      if (draft.thread) evidence.push(draft.thread.why);
    } else {
      evidence.push('no forward or reply prefix, no forwarded block, no thread headers naming known mail');
    }
    const { replyText, removedText } = trimReply(parsed);
    const categorization: Categorization = { category, evidence, forwarded, replyText, removedText };
    draft.categorization = categorization;
    draft.trace.push({
      stage: 'categorize',
      looked: 'subject prefixes, forwarded block, In-Reply-To/References',
      concluded: category,
      why: evidence.join('; '),
    });
    if (removedText.trim().length > 0)
      draft.trace.push({
        stage: 'categorize',
        looked: `${parsed.text.length} chars of text`,
        concluded: `new text ${replyText.length} chars`,
        why: `removed ${removedText.length} chars of quoted history or signature`,
      });
    return { kind: 'continue' };
  },
};

/** The record the thread headers lead to: In-Reply-To/References naming mail we sent or stored. */
async function findThread(ctx: DecideContext, draft: Draft): Promise<void> {
  const parsed = draft.parsed;
  if (!parsed) return;
  // The newest 100 are plenty to find the thread, and keep the lookup within any database's parameter limit.
  const candidates = [...new Set([...parsed.references, ...parsed.inReplyTo])].slice(-100);
  if (candidates.length === 0) return;
  const match = await ctx.store.findThread(candidates, ctx.message.id);
  if (!match) return;
  const record = await ctx.store.getRecord(match.recordId);
  draft.thread = {
    recordId: match.recordId,
    number: record?.number ?? `record ${match.recordId}`,
    why: `<${match.messageId}> is ${match.via === 'sent' ? 'mail we sent' : 'a stored message'} of ${record?.number ?? `record ${match.recordId}`}`,
  };
}

/** A bounce, receipt or complaint names the mail it concerns: find that mail and its record. */
async function linkNotice(ctx: DecideContext, draft: Draft): Promise<void> {
  const notice = draft.screening?.notice;
  if (!notice) return;
  const original = notice.originalMessageId;
  let linkedMessageRef: number | null = null;
  let recordId: number | null = null;
  if (original) {
    const stored = await ctx.store.findStoredMessage(original, ctx.message.id);
    const thread = await ctx.store.findThread([original], ctx.message.id);
    linkedMessageRef = stored?.messageRef ?? null;
    recordId = thread?.recordId ?? stored?.recordId ?? null;
  }
  draft.noticeLink = { notice, linkedMessageRef, recordId };
  const record = recordId === null ? null : await ctx.store.getRecord(recordId);
  draft.trace.push({
    stage: 'categorize',
    looked: original ? `original Message-ID <${original}>` : 'the notice (no original Message-ID in it)',
    concluded:
      linkedMessageRef !== null || recordId !== null
        ? `concerns ${linkedMessageRef !== null ? `message ${linkedMessageRef}` : 'mail we sent'}${record ? ` of ${record.number}` : ''}`
        : 'concerns no stored mail',
    why: original ? 'matched against stored and sent mail' : 'nothing to match',
  });
}
