import { z } from 'zod';
import type { RuleSet } from '../core/rules.ts';
import { describeValue } from './fields.ts';
import { parseControlSet, parseInboundAction, parsePlugin, parseRule, type Path } from './rule-parsers.ts';

const PHASES = ['plugins', 'preFilter', 'contentControl', 'filters', 'postFilter', 'inboundActions'] as const;

/**
 * `rules:` in postroom.config.yaml — the phases of seed 003 in their fixed order, then seed
 * 001's inbound actions. `include` files were merged in by the loader before this runs.
 */
export const rulesSchema = z
  .unknown()
  .prefault({})
  .transform((value, ctx): RuleSet => {
    const set: RuleSet = { plugins: [], preFilter: [], contentControl: [], filters: [], postFilter: [], inboundActions: [] };
    if (value === undefined || value === null) return set;
    const report = (path: Path, message: string): void => {
      ctx.addIssue({ code: 'custom', path, message, input: undefined });
    };
    if (typeof value !== 'object' || Array.isArray(value)) {
      report([], `expected a mapping of phases (${PHASES.join(', ')}), got ${describeValue(value)}`);
      return set;
    }
    const raw = value as Record<string, unknown>;
    for (const key of Object.keys(raw))
      if (!(PHASES as readonly string[]).includes(key) && key !== 'include')
        report([key], `unknown key; the phases are, in this order: ${PHASES.join(', ')} (and include)`);
    const items = (key: (typeof PHASES)[number]): unknown[] => {
      const v = raw[key];
      if (v === undefined || v === null) return [];
      if (Array.isArray(v)) return v;
      report([key], `expected a list, got ${describeValue(v)}`);
      return [];
    };
    items('plugins').forEach((v, i) => {
      const p = parsePlugin(v, ['plugins', i], report);
      if (p) set.plugins.push(p);
    });
    for (const phase of ['preFilter', 'filters', 'postFilter'] as const)
      items(phase).forEach((v, i) => {
        const r = parseRule(v, [phase, i], report, `${phase} ${i + 1}`);
        if (r) set[phase].push(r);
      });
    items('contentControl').forEach((v, i) => {
      const c = parseControlSet(v, ['contentControl', i], report, `content control ${i + 1}`);
      if (c) set.contentControl.push(c);
    });
    items('inboundActions').forEach((v, i) => {
      const a = parseInboundAction(v, ['inboundActions', i], report, i);
      if (a) set.inboundActions.push(a);
    });
    // Same order, the declared one breaks ties: what the admin reads top to bottom.
    set.inboundActions = set.inboundActions
      .map((a, i) => ({ a, i }))
      .sort((x, y) => x.a.order - y.a.order || x.i - y.i)
      .map((x) => x.a);
    return set;
  });

/** Names a rule uses that must exist elsewhere in config: endpoints, mailboxes, record types. */
export function checkRuleReferences(
  rules: RuleSet,
  known: { endpoints: readonly string[]; mailboxes: readonly string[]; recordTypes: readonly string[] },
  report: (path: Path, message: string) => void,
): void {
  const lists: [string, { do: RuleSet['filters'][number]['do'] }[]][] = [
    ['preFilter', rules.preFilter],
    ['contentControl', rules.contentControl],
    ['filters', rules.filters],
    ['postFilter', rules.postFilter],
    ['inboundActions', rules.inboundActions],
  ];
  for (const [phase, entries] of lists)
    // The value may be partly unparsed when other keys failed: skip what is not a parsed rule.
    (Array.isArray(entries) ? entries : []).forEach((entry, i) =>
      (Array.isArray(entry?.do) ? entry.do : []).forEach((action, j) => {
        const at = ['rules', phase, i, 'do', j, action.kind];
        if (action.kind === 'webhook' && !known.endpoints.includes(action.endpoint))
          report(at, `endpoint ${JSON.stringify(action.endpoint)} is not defined under webhooks.endpoints (defined: ${known.endpoints.join(', ') || 'none'})`);
        if (action.kind === 'divert' && !known.mailboxes.includes(action.mailbox))
          report(at, `mailbox ${JSON.stringify(action.mailbox)} is not configured under mailboxes`);
        if (action.kind === 'createRecord' && action.type !== null && !known.recordTypes.includes(action.type))
          report(at, `record type ${JSON.stringify(action.type)} is not defined under recordTypes`);
      }),
    );
  (Array.isArray(rules.inboundActions) ? rules.inboundActions : []).forEach((a, i) => {
    if (typeof a.recordType === 'string' && !known.recordTypes.includes(a.recordType))
      report(['rules', 'inboundActions', i, 'recordType'], `record type ${JSON.stringify(a.recordType)} is not defined under recordTypes`);
  });
}
