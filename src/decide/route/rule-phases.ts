import type { Rule } from '../../core/rules.ts';
import type { DecideContext, Draft, Stage } from '../context.ts';
import { describe, matches } from './conditions.ts';
import { runActions } from './rule-actions.ts';
import { ruleSubjectOf } from './rule-subject.ts';

/**
 * Mercury's first phase, deferred jobs: the runner does not claim a held job before its time
 * (the claim query reads next_attempt_at). Here the route begins: the rules' view of the mail
 * is made, and the trace says whether this job had waited.
 */
export const deferredJobsStage: Stage = {
  name: 'deferred jobs',
  async run(ctx, draft) {
    if (!draft.parsed) return { kind: 'continue' };
    const mailbox = ctx.mailboxes?.find((m) => m.address.toLowerCase() === ctx.message.routedMailbox) ?? ctx.mailbox;
    draft.route = {
      subject: ruleSubjectOf(ctx, draft),
      mailbox,
      diverted: mailbox !== ctx.mailbox,
      fired: [],
      edits: { fields: {}, assignee: null, tags: [], status: null, comments: [] },
      outgoing: [],
      webhooks: [],
      moveTo: null,
      recordHandled: false,
      ended: null,
    };
    if (ctx.message.deferUntil !== null)
      draft.trace.push({
        stage: 'deferred jobs',
        looked: `timer ${new Date(ctx.message.deferUntil).toISOString()}`,
        concluded: 'due: opened',
        why: 'a rule held this job; its time has come, so the rules that held it let it through now',
      });
    else if (hasRules(ctx))
      draft.trace.push({ stage: 'deferred jobs', looked: 'timer', concluded: 'none', why: 'the job was taken from the queue as it came' });
    return { kind: 'continue' };
  },
};

/** A named, ordered list of rules (pre-filter, filter, post-filter): each match runs its actions. */
export function policyStage(name: string, pick: (rules: NonNullable<DecideContext['rules']>) => readonly Rule[]): Stage {
  return {
    name,
    async run(ctx, draft) {
      const route = draft.route;
      if (!route || route.ended || !ctx.rules) return { kind: 'continue' };
      const rules = pick(ctx.rules);
      const firedBefore = route.fired.length;
      for (const rule of rules) {
        if (rule.when !== null && !matches(rule.when, route.subject)) continue;
        route.fired.push({ phase: name, rule: rule.name, actions: rule.do.map((a) => a.kind) });
        draft.trace.push({
          stage: name,
          looked: describe(rule.when),
          concluded: `rule ${rule.name}: ${rule.do.map((a) => a.kind).join(', ') || 'no actions'}`,
          why: 'its condition matched',
        });
        const flow = await runActions(ctx, draft, route, name, rule.name, rule.do);
        if (flow !== 'next') break;
      }
      if (rules.length > 0 && route.fired.length === firedBefore) noneMatched(draft, name, rules.length);
      return { kind: 'continue' };
    },
  };
}

/** Every configured phase leaves a line in the trace, so an admin sees it was looked at. */
function noneMatched(draft: Draft, stage: string, count: number): void {
  draft.trace.push({ stage, looked: `${count} rule${count === 1 ? '' : 's'}`, concluded: 'none matched', why: 'no condition held for this mail' });
}

function hasRules(ctx: DecideContext): boolean {
  const r = ctx.rules;
  return !!r && (r.plugins.length + r.preFilter.length + r.contentControl.length + r.filters.length + r.postFilter.length + r.inboundActions.length > 0);
}

/** Mercury's content control: each set scores the mail; at its threshold the set's actions run. */
export const contentControlStage: Stage = {
  name: 'content control',
  async run(ctx, draft) {
    const route = draft.route;
    if (!route || route.ended || !ctx.rules) return { kind: 'continue' };
    const firedBefore = route.fired.length;
    for (const set of ctx.rules.contentControl) {
      if (set.when !== null && !matches(set.when, route.subject)) continue;
      const hits = set.tests.filter((t) => matches(t.when, route.subject));
      const score = hits.reduce((sum, t) => sum + t.weight, 0);
      route.subject.score += score;
      if (score < set.threshold) {
        if (hits.length > 0)
          draft.trace.push({ stage: 'content control', looked: `set ${set.name}`, concluded: `score ${score}`, why: `below the threshold ${set.threshold}` });
        continue;
      }
      route.fired.push({ phase: 'content control', rule: set.name, actions: set.do.map((a) => a.kind) });
      draft.trace.push({
        stage: 'content control',
        looked: `set ${set.name}: ${hits.map((t) => describe(t.when)).join('; ')}`,
        concluded: `score ${score}: ${set.do.map((a) => a.kind).join(', ') || 'scored'}`,
        why: `reached the threshold ${set.threshold}`,
      });
      const flow = await runActions(ctx, draft, route, 'content control', set.name, set.do);
      if (flow !== 'next') break;
    }
    if (ctx.rules.contentControl.length > 0 && route.fired.length === firedBefore)
      noneMatched(draft, 'content control', ctx.rules.contentControl.length);
    return { kind: 'continue' };
  },
};

/**
 * The end of routing: a terminal action (kill, reject, ignore, defer) becomes the message's
 * state now, after the outbound stage had its say about any notice the action queued.
 */
export const routeEndStage: Stage = {
  name: 'route',
  async run(_ctx, draft) {
    const ended = draft.route?.ended;
    if (!ended) return { kind: 'continue' };
    if (ended.state === 'deferred') return { kind: 'hold', until: ended.until ?? 0, why: ended.why };
    if (ended.state === 'processed') {
      draft.outcome = draft.record ? draft.outcome ?? 'ignored' : 'ignored';
      draft.trace.push({ stage: 'route', looked: 'rules', concluded: 'processed', why: ended.why });
      return { kind: 'continue' };
    }
    return { kind: 'stop', state: ended.state, why: ended.why };
  },
};
