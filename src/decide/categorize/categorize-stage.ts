import type { Categorization, Category } from '../../core/screening.ts';
import type { DecideContext, Draft, Stage } from '../context.ts';
import { findForwarded } from './forwarded.ts';
import { gatherReplyEvidence, mayUseWeakEvidence } from './reply-evidence.ts';
import { trimReply } from './reply-text.ts';
import { leadingPrefix } from './subject-prefix.ts';

/**
 * Stage 4 (seed 001): forward, then reply, then new, in that fixed order; plus the new text of
 * the mail without its quoted history. It also finds the record the evidence points to
 * (watermark, thread headers, a record number in a reply's subject) and the mail a notice
 * concerns; route decides what to do with them.
 */
export const categorizeStage: Stage = {
  name: 'categorize',
  async run(ctx, draft) {
    const parsed = draft.parsed;
    if (!parsed) return { kind: 'continue' };
    await linkNotice(ctx, draft);

    const evidence: string[] = [];
    const forwardPrefix = leadingPrefix(parsed.subject, ctx.prefixes.forward);
    // Machine mail (a bounce quoting the returned message) is never a forward.
    const forwarded =
      (draft.screening?.class ?? 'general') === 'general' ? findForwarded(parsed, ctx.prefixes.forward) : null;
    const replyPrefix = leadingPrefix(parsed.subject, ctx.prefixes.reply);
    await findRecord(ctx, draft, replyPrefix);
    let category: Category = 'new';
    // Seed 001: a forward prefix *and* the string "From" in the body; or an inline forwarded
    // block. "Re: Fwd: …" is a reply whose quoted history holds the forward: the leading prefix counts.
    const fromInBody = /\bFrom\b/.test(parsed.text);
    if ((forwardPrefix && (fromInBody || forwarded)) || (forwarded && !replyPrefix)) {
      category = 'forward';
      if (forwardPrefix)
        evidence.push(`subject starts with forward prefix "${forwardPrefix}"${fromInBody ? ' and the body has "From"' : ''}`);
      if (forwarded)
        evidence.push(
          `forwarded block from ${forwarded.from?.address ?? 'an unknown sender'}${forwarded.subject ? `, subject "${forwarded.subject}"` : ''}`,
        );
    } else if (forwardPrefix && !replyPrefix && !draft.thread) {
      evidence.push(`forward prefix "${forwardPrefix}" but no "From" in the body (seed 001): not a forward`);
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

/**
 * The record this mail belongs to, from the strongest evidence: strong evidence attaches; weak
 * evidence only for a sender the record knows. Each piece of evidence goes to the trace.
 */
async function findRecord(ctx: DecideContext, draft: Draft, replyPrefix: string | null): Promise<void> {
  const parsed = draft.parsed;
  if (!parsed) return;
  const { evidence, rejected } = await gatherReplyEvidence(ctx, parsed, replyPrefix);
  for (const why of rejected)
    draft.trace.push({ stage: 'categorize', looked: 'In-Reply-To, References', concluded: 'ignored', why });
  if (evidence.length === 0) return;
  draft.trace.push({
    stage: 'categorize',
    looked: 'reply evidence',
    concluded: evidence.map((e) => `${e.kind} → ${e.number} (${e.strength})`).join(', '),
    why: evidence.map((e) => e.detail).join('; '),
  });
  const strong = evidence.find((e) => e.strength === 'strong');
  if (strong) {
    draft.thread = { recordId: strong.recordId, number: strong.number, why: strong.detail };
    return;
  }
  const weak = evidence[0]!;
  const sender = parsed.from?.address ?? ctx.message.from;
  const permission = await mayUseWeakEvidence(ctx, draft.identity, weak.recordId, sender);
  draft.trace.push({
    stage: 'categorize',
    looked: `${weak.number} named in the subject only`,
    concluded: permission.allowed ? `attach to ${weak.number}` : 'open a new record',
    why: permission.why,
  });
  if (permission.allowed)
    draft.thread = { recordId: weak.recordId, number: weak.number, why: `${weak.detail}; ${permission.why}` };
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
