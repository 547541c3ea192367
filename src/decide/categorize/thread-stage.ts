import type { Stage } from '../context.ts';

/**
 * The reply seam: In-Reply-To and References that name mail we sent or stored attach this
 * message to that mail's record. The full forward → reply → new categorizer (watermarks,
 * record numbers, forward prefixes) replaces this stage's body, not its place.
 */
export const threadStage: Stage = {
  name: 'categorize',
  async run(ctx, draft) {
    const parsed = draft.parsed;
    if (!parsed) return { kind: 'continue' };
    // The newest 100 are plenty to find the thread, and keep the lookup within any database's parameter limit.
    const candidates = [...new Set([...parsed.references, ...parsed.inReplyTo])].slice(-100);
    if (candidates.length === 0) {
      draft.trace.push({
        stage: 'categorize',
        looked: 'In-Reply-To, References',
        concluded: 'new',
        why: 'no thread headers',
      });
      return { kind: 'continue' };
    }
    const match = await ctx.store.findThread(candidates, ctx.message.id);
    if (!match) {
      draft.trace.push({
        stage: 'categorize',
        looked: `${candidates.length} referenced Message-ID(s)`,
        concluded: 'new',
        why: 'none of them is mail we sent or stored with a record',
      });
      return { kind: 'continue' };
    }
    const record = await ctx.store.getRecord(match.recordId);
    draft.record = { kind: 'attach', recordId: match.recordId, text: parsed.text };
    draft.outcome = 'attached';
    draft.trace.push({
      stage: 'categorize',
      looked: `<${match.messageId}>`,
      concluded: `reply to ${record?.number ?? `record ${match.recordId}`}`,
      why:
        match.via === 'sent'
          ? 'it names mail we sent for that record'
          : 'it names a stored message of that record',
    });
    return { kind: 'continue' };
  },
};
