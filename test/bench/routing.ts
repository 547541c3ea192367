// Routing cost: decide with 1,000 configured rules against decide with none, on the same
// mails, in alternating rounds so machine noise hits both sides alike. The rules are a mix an
// admin might write: subject words, sender domains, header tests, regular expressions on the
// body, combinations with all/any/not, spread over the filter phases and inbound actions.
import { performance } from 'node:perf_hooks';
import { rulesSchema } from '../../src/config/rules-schema.ts';
import { openDecideSandbox } from '../../src/decide-sandbox.ts';
import { decideRaw } from '../../src/decide/decide-raw.ts';
import type { RuleSet } from '../../src/core/rules.ts';
import { median } from './stats.ts';

export interface RoutingFigures {
  mails: number;
  rules: number;
  noRulesMsPerMail: number;
  withRulesMsPerMail: number;
  /** with rules / without: what evaluating 1,000 rules adds to decide */
  ratio: number;
  /** rules that fired per mail, on average: the rules are not all dead weight */
  firedPerMail: number;
}

/** `count` rules, deterministic: a fifth each of subject, sender, header, body regex and combined tests. */
export function generatedRules(count: number): RuleSet {
  const rule = (i: number): unknown => {
    const kind = i % 5;
    const when =
      kind === 0
        ? { subject: { contains: `topic${i}` } }
        : kind === 1
          ? { fromDomain: { isAnyOf: [`client${i}.example`, `partner${i}.example`] } }
          : kind === 2
            ? { header: { name: 'X-Campaign', equals: `c${i}` } }
            : kind === 3
              ? { body: { matches: `order\\s+#?${i}\\b` } }
              : { all: [{ subject: { starts: 'Re:' } }, { not: { from: { ends: `@vendor${i}.example` } } }, { any: [{ tag: `t${i}` }, { size: { atLeast: '10MB' } }] }] };
    return { name: `rule-${i}`, when, do: [{ tag: `t${i}` }] };
  };
  const per = Math.floor(count / 4);
  const list = (from: number, n: number): unknown[] => Array.from({ length: n }, (_, k) => rule(from + k));
  return rulesSchema.parse({
    preFilter: list(0, per),
    filters: list(per, per),
    postFilter: list(2 * per, per),
    inboundActions: [
      ...Array.from({ length: count - 3 * per - 1 }, (_, k) => ({
        name: `action-${k}`,
        type: 'new',
        order: 10 + k,
        when: { subject: { contains: `case${k}` } },
        do: [{ createRecord: {} }, { tag: `a${k}` }],
      })),
      { name: 'default', type: 'new', order: 100_000, do: [{ createRecord: {} }] },
    ],
  });
}

export async function measureRouting(mails: readonly Buffer[], ruleCount = 1000, rounds = 3): Promise<RoutingFigures> {
  const rules = generatedRules(ruleCount);
  const total = rules.preFilter.length + rules.filters.length + rules.postFilter.length + rules.inboundActions.length;
  const sandbox = await openDecideSandbox();
  try {
    const plain = sandbox.options;
    const ruled = { ...sandbox.options, rules };
    let fired = 0;
    const once = async (options: typeof plain, count: boolean): Promise<number> => {
      const start = performance.now();
      for (const raw of mails) {
        const report = await decideRaw(raw, options);
        if (count) fired += report.actions.length;
      }
      return performance.now() - start;
    };
    await once(plain, false); // warm-up: JIT and module loading count for neither side
    await once(ruled, false);
    const without: number[] = [];
    const withRules: number[] = [];
    for (let i = 0; i < rounds; i++) {
      without.push(await once(plain, false));
      withRules.push(await once(ruled, i === 0));
    }
    const noRulesMs = median(without) / mails.length;
    const withRulesMs = median(withRules) / mails.length;
    return {
      mails: mails.length,
      rules: total,
      noRulesMsPerMail: noRulesMs,
      withRulesMsPerMail: withRulesMs,
      ratio: withRulesMs / noRulesMs,
      firedPerMail: fired / mails.length,
    };
  } finally {
    await sandbox.close();
  }
}

