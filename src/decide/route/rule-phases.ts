import type { Rule } from '../../domain/rules/rule-types.ts';
import type { Stage } from '../context.ts';
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
    return { kind: 'continue' };
  },
};

/** A named, ordered list of rules (pre-filter, filter, post-filter): each match runs its actions. */
export function policyStage(name: string, pick: (rules: NonNullable<import('../context.ts').DecideContext['rules']>) => readonly Rule[]): Stage {
  return {
    name,
    async run(ctx, draft) {
      const route = draft.route;
      if (!route || route.ended || !ctx.rules) return { kind: 'continue' };
      for (const rule of pick(ctx.rules)) {
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
      return { kind: 'continue' };
    },
  };
}

/** Mercury's content control: each set scores the mail; at its threshold the set's actions run. */
export const contentControlStage: Stage = {
  name: 'content control',
  async run(ctx, draft) {
    const route = draft.route;
    if (!route || route.ended || !ctx.rules) return { kind: 'continue' };
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
