import type { Plan } from '../../core/plan.ts';
import type { StoreReader } from '../../store/store.ts';

/** A plan as `rules test` and `decide` show it: one side of a before/after comparison. */
export interface Outcome {
  state: string;
  class: string | null;
  record: string | null;
  actions: string[];
}

export async function outcomeOf(store: StoreReader, plan: Plan): Promise<Outcome> {
  let record: string | null = null;
  if (plan.record?.kind === 'create') record = `new ${plan.record.type}`;
  if (plan.record?.kind === 'attach') record = (await store.getRecord(plan.record.recordId))?.number ?? null;
  return { state: plan.state, class: plan.screening?.class ?? null, record, actions: plannedActions(plan) };
}

/** The plan's route as a list an admin reads: rules fired, then mail and webhooks. */
export function plannedActions(plan: Plan): string[] {
  const route = plan.route;
  const fired = (route?.fired ?? []).map((f) => `${f.phase}: ${f.rule}`);
  const sends = (route?.outgoing ?? []).map((m) => `send ${m.kind} to ${(m.to[0] ?? '').toLowerCase()}`);
  const held = plan.state === 'deferred' && plan.deferUntil ? [`defer until ${new Date(plan.deferUntil).toISOString()}`] : [];
  return [...fired, ...held, ...sends];
}

