import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/**
 * `rules.include: [rules/*.yaml]`: each file holds phases like `rules:` itself; its lists are
 * appended after the main file's, phase by phase, so a team can keep its rules in its own file.
 * Problems are returned as (key, message) for the config error.
 */
export function mergeRuleIncludes(
  raw: Record<string, unknown>,
  baseDir: string,
): { raw: Record<string, unknown>; problems: { key: string; problem: string }[] } {
  const rules = raw['rules'];
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) return { raw, problems: [] };
  const { include, ...phases } = rules as Record<string, unknown>;
  if (include === undefined) return { raw, problems: [] };
  const problems: { key: string; problem: string }[] = [];
  const merged: Record<string, unknown> = { ...phases };
  const files = Array.isArray(include) ? include : [include];
  files.forEach((entry, i) => {
    const key = `rules.include[${i}]`;
    if (typeof entry !== 'string' || entry === '') {
      problems.push({ key, problem: 'expected a file path such as rules/support.yaml' });
      return;
    }
    const file = path.resolve(baseDir, entry);
    let parsed: unknown;
    try {
      parsed = YAML.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      problems.push({ key, problem: `cannot read ${file}: ${(err as Error).message.split('\n')[0]}` });
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      problems.push({ key, problem: `${file} must hold a mapping of phases (preFilter, filters, inboundActions …)` });
      return;
    }
    for (const [phase, list] of Object.entries(parsed as Record<string, unknown>)) {
      const current = merged[phase];
      merged[phase] = [...(Array.isArray(current) ? current : []), ...(Array.isArray(list) ? list : [list])];
    }
  });
  return { raw: { ...raw, rules: merged }, problems };
}
