import { PostroomError } from './core/errors.ts';
import type { Plan } from './core/plan.ts';
import { categorizeStage } from './decide/categorize/categorize-stage.ts';
import type { DecideContext, Draft, Stage } from './decide/context.ts';
import { parseStage } from './decide/parse/parse-stage.ts';
import { defaultRecordStage } from './decide/route/default-record-stage.ts';
import { documentStage } from './decide/route/document-stage.ts';
import { inboundActionStage } from './decide/route/inbound-action-stage.ts';
import { outboundStage } from './decide/route/outbound-stage.ts';
import { pluginStage } from './decide/route/plugin-stage.ts';
import { contentControlStage, deferredJobsStage, policyStage, routeEndStage } from './decide/route/rule-phases.ts';
import type { RoutePlan } from './decide/route/route-draft.ts';
import { identifyStage } from './decide/identify/identify-stage.ts';
import { screenStage } from './decide/screen/screen-stage.ts';

/**
 * The stages of decide, in order: the architecture diagram in code.
 * parse → screen → identify → categorize → route. Route is Mercury's phases in their fixed
 * order (seed 003), then the project documents (seed 004), the inbound actions (seed 001), the
 * built-in routing for what no action took, and the loop limits on anything to be sent.
 */
export const stages: readonly Stage[] = [
  parseStage,
  screenStage,
  identifyStage,
  categorizeStage,
  deferredJobsStage,
  pluginStage,
  policyStage('pre-filter', (r) => r.preFilter),
  contentControlStage,
  policyStage('filter', (r) => r.filters),
  policyStage('post-filter', (r) => r.postFilter),
  documentStage,
  inboundActionStage,
  defaultRecordStage,
  outboundStage,
  routeEndStage,
];

/** Runs the stages over one message: reads the store, writes nothing, returns the plan with its trace. */
export async function decide(ctx: DecideContext, pipeline: readonly Stage[] = stages): Promise<Plan> {
  const draft: Draft = { trace: [] };
  for (const stage of pipeline) {
    const result = await stage.run(ctx, draft);
    if (result.kind === 'continue') continue;
    if (result.kind === 'retry') throw new PostroomError(result.code, result.reason);
    if (result.kind === 'quarantine')
      return planFrom(ctx, draft, 'failed', { code: result.code, reason: result.reason });
    if (result.kind === 'hold') {
      draft.trace.push({ stage: stage.name, looked: '', concluded: 'deferred', why: result.why });
      return { ...planFrom(ctx, draft, 'deferred', null), deferUntil: result.until };
    }
    draft.trace.push({ stage: stage.name, looked: '', concluded: result.state, why: result.why });
    return planFrom(ctx, draft, result.state, null);
  }
  return planFrom(ctx, draft, 'processed', null);
}

function planFrom(ctx: DecideContext, draft: Draft, state: Plan['state'], error: Plan['error']): Plan {
  const p = draft.parsed;
  return {
    state,
    outcome: error ? 'quarantined' : (draft.outcome ?? 'ignored'),
    summary: {
      messageId: p?.messageId ?? ctx.message.messageId,
      subject: p?.subject ?? ctx.message.subject ?? '',
      from: p?.from?.address ?? ctx.message.from,
    },
    // Only mail that is processed changes a record; a rejected or killed one leaves none behind.
    record: error || state !== 'processed' ? null : (draft.record ?? null),
    attachments: p?.attachments ?? [],
    trace: draft.trace,
    error,
    ...(p ? { parsed: p } : {}),
    ...(draft.screening ? { screening: draft.screening } : {}),
    ...(draft.categorization ? { categorization: draft.categorization } : {}),
    ...(draft.noticeLink && !error ? { notice: draft.noticeLink } : {}),
    ...(draft.createUser && !error && state === 'processed' ? { createUser: draft.createUser } : {}),
    ...(draft.document && !error && state === 'processed' ? { document: draft.document } : {}),
    ...(draft.route && !error && state !== 'deferred' ? { route: routePlanOf(draft, state) } : {}),
    ...(draft.identity ? { identity: draft.identity } : {}),
  };
}

function routePlanOf(draft: Draft, state: Plan['state']): RoutePlan {
  const route = draft.route!;
  const processed = state === 'processed';
  // The mailbox's own endpoints hear of every mail it settles; a rule adds its own.
  const webhooks = [...(route.mailbox.webhooks ?? []), ...route.webhooks.map((w) => w.endpoint)];
  return {
    fired: route.fired,
    edits: processed ? route.edits : { fields: {}, assignee: null, tags: [], status: null, comments: [] },
    // A rejected mail still gets its notice; a killed or deleted one gets nothing.
    outgoing: route.outgoing.filter((m) => processed || (state === 'rejected' && m.kind === 'notice')),
    webhooks: state === 'loopback' ? [] : [...new Set(webhooks)],
    divertedTo: route.diverted ? route.mailbox.address.toLowerCase() : null,
    moveTo: route.moveTo,
  };
}
