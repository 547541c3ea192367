import { PostroomError } from './core/errors.ts';
import type { Plan } from './core/plan.ts';
import { categorizeStage } from './decide/categorize/categorize-stage.ts';
import type { DecideContext, Draft, Stage } from './decide/context.ts';
import { parseStage } from './decide/parse/parse-stage.ts';
import { defaultRecordStage } from './decide/route/default-record-stage.ts';
import { documentStage } from './decide/route/document-stage.ts';
import { identifyStage } from './decide/identify/identify-stage.ts';
import { screenStage } from './decide/screen/screen-stage.ts';

/**
 * The stages of decide, in order: the architecture diagram in code.
 * parse → screen → identify → categorize → route.
 */
export const stages: readonly Stage[] = [
  parseStage,
  screenStage,
  identifyStage,
  categorizeStage,
  documentStage,
  defaultRecordStage,
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
    record: error ? null : (draft.record ?? null),
    attachments: p?.attachments ?? [],
    trace: draft.trace,
    error,
    ...(p ? { parsed: p } : {}),
    ...(draft.screening ? { screening: draft.screening } : {}),
    ...(draft.categorization ? { categorization: draft.categorization } : {}),
    ...(draft.noticeLink && !error ? { notice: draft.noticeLink } : {}),
    ...(draft.createUser && !error && state === 'processed' ? { createUser: draft.createUser } : {}),
    ...(draft.document && !error && state === 'processed' ? { document: draft.document } : {}),
  };
}
