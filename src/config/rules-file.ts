import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { RuleSet } from '../core/rules.ts';
import { ConfigError } from './load.ts';
import { mergeRuleIncludes } from './rule-includes.ts';
import { checkRuleReferences, rulesSchema } from './rules-schema.ts';
import type { Config } from './schema.ts';

/**
 * A rule set from its own file, for `rules test --rules FILE`: the file holds the phases (or a
 * whole config with `rules:`), validated like postroom.config.yaml and against its names.
 */
export function loadRulesFile(file: string, config: Readonly<Config>): RuleSet {
  let parsed: unknown;
  try {
    parsed = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [{ key: 'rules file', problem: (err as Error).message.split('\n')[0] ?? '', example: '' }]);
  }
  const doc = typeof parsed === 'object' && parsed !== null && 'rules' in parsed ? (parsed as { rules: unknown }).rules : parsed;
  const merged = mergeRuleIncludes({ rules: doc ?? {} }, path.dirname(file));
  const issues = merged.problems.map((p) => ({ key: p.key, problem: p.problem, example: '' }));
  const result = rulesSchema.safeParse(merged.raw['rules']);
  if (!result.success)
    for (const issue of result.error.issues)
      issues.push({ key: ['rules', ...issue.path].map(String).join('.').replace(/\.(\d+)/g, '[$1]'), problem: issue.message, example: '' });
  if (result.success)
    checkRuleReferences(
      result.data,
      {
        endpoints: Object.keys(config.webhooks.endpoints),
        mailboxes: config.mailboxes.map((m) => m.address.toLowerCase()),
        recordTypes: Object.keys(config.recordTypes),
      },
      (at, problem) => issues.push({ key: at.map(String).join('.').replace(/\.(\d+)/g, '[$1]'), problem, example: '' }),
    );
  if (issues.length > 0 || !result.success) throw new ConfigError(file, issues);
  for (const plugin of result.data.plugins) plugin.module = path.resolve(path.dirname(file), plugin.module);
  return result.data;
}
