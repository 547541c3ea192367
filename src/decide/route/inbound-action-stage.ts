import type { InboundAction, InboundType } from '../../core/rules.ts';
import type { DecideContext, Draft, Stage } from '../context.ts';
import { describe, matches } from './conditions.ts';
import { attach, claimKeyOf, create } from './record-choice.ts';
import { runActions } from './rule-actions.ts';
import type { RouteDraft } from './route-draft.ts';

/**
 * Seed 001's inbound actions. The type comes from categorize (forward → reply → new); every
 * action of that type whose record type and condition match runs, in order, until one has
 * "stop processing". Machine mail (bounces, receipts) keeps the built-in routing: it never
 * opens a record. Without configured inbound actions the built-in routing applies to all mail.
 */
export const inboundActionStage: Stage = {
  name: 'inbound actions',
  async run(ctx, draft) {
    const route = draft.route;
    const actions = ctx.rules?.inboundActions ?? [];
    if (!route || route.ended || route.recordHandled || draft.record || draft.document || actions.length === 0)
      return { kind: 'continue' };
    if ((draft.screening?.class ?? 'general') !== 'general') return { kind: 'continue' };
    route.recordHandled = true;
    const type: InboundType =
      draft.categorization?.category === 'forward' ? 'forward' : draft.thread ? 'reply' : 'new';
    const threadType = type === 'reply' && draft.thread ? (await ctx.store.getRecord(draft.thread.recordId))?.type ?? null : null;
    let ran = 0;
    for (const action of actions) {
      if (action.type !== type) continue;
      if (type === 'reply' && action.recordType !== null && action.recordType !== threadType) continue;
      if (action.when !== null && !matches(action.when, route.subject)) continue;
      ran++;
      route.fired.push({ phase: 'inbound actions', rule: action.name, actions: action.do.length > 0 ? action.do.map((a) => a.kind) : [] });
      draft.trace.push({
        stage: 'inbound actions',
        looked: `${type} mail; ${describe(action.when)}`,
        concluded: `action ${action.name} (order ${action.order})${action.stopProcessing ? ', stop processing' : ''}`,
        why: action.do.length > 0 ? `runs ${action.do.map((a) => a.kind).join(', ')}` : `the built-in ${type} action`,
      });
      if (action.do.length === 0) await builtIn(ctx, draft, route, action);
      else if ((await runActions(ctx, draft, route, 'inbound actions', action.name, action.do)) === 'end') break;
      if (action.stopProcessing) {
        draft.trace.push({ stage: 'inbound actions', looked: `action ${action.name}`, concluded: 'stop processing', why: 'no later inbound action runs' });
        break;
      }
    }
    if (ran === 0) route.ended = { state: 'skipped', why: `no inbound action matched this ${type} mail` };
    return { kind: 'continue' };
  },
};

/** What an inbound action without `do` does (ServiceNow's out-of-the-box actions). */
async function builtIn(ctx: DecideContext, draft: Draft, route: RouteDraft, action: InboundAction): Promise<void> {
  const parsed = draft.parsed;
  if (!parsed || draft.record) return;
  const type = action.recordType ?? route.mailbox.recordType;
  if (action.type === 'new') {
    create(ctx, draft, route.subject.replyText, claimKeyOf(ctx, parsed.messageId), { type, why: `inbound action ${action.name} creates a ${type} record` });
    return;
  }
  if (action.type === 'forward') {
    const original = draft.categorization?.forwarded?.from?.address;
    const credit = route.mailbox.forwardCredit ?? 'original-sender';
    const requester = credit === 'original-sender' && original ? original : undefined;
    create(ctx, draft, route.subject.text, claimKeyOf(ctx, parsed.messageId), {
      type,
      ...(requester ? { requester } : {}),
      why: requester
        ? `inbound action ${action.name}: a forward opens a record for its original sender ${requester} (forwardCredit: original-sender)`
        : `inbound action ${action.name}: a forward opens a record for the one who forwarded it`,
    });
    return;
  }
  const thread = draft.thread;
  if (!thread) return;
  attach(draft, thread.recordId, 'comment', route.subject.replyText, `inbound action ${action.name}: the reply text is added to ${thread.number} as a comment`);
  if (route.mailbox.reopenResolved !== false) {
    const record = await ctx.store.getRecord(thread.recordId);
    const identity = draft.identity;
    const mayReopen = identity?.trust !== 'unverified' || identity.unverifiedMay.includes('reopen');
    // A closed record stays closed (ServiceNow): only resolved ones come back.
    if (record && record.status === 'resolved' && mayReopen) {
      route.edits.status = 'open';
      draft.trace.push({ stage: 'inbound actions', looked: `${record.number} is resolved`, concluded: 'reopen', why: 'a reply reopens a resolved record (reopenResolved)' });
    }
  }
}
