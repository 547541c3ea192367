import type { EvalRow } from './eval-row.ts';

/** Every scorer, in the order of the table. Each reads its corpora and runs decide on them. */
const scorers = ['notices.ts', 'auto-replies.ts', 'replies.ts', 'charsets.ts', 'structure.ts'];

export async function evaluateAll(): Promise<EvalRow[]> {
  const rows: EvalRow[] = [];
  for (const file of scorers) {
    const scorer = (await import(`./${file}`)) as { evaluate(): Promise<EvalRow[]> };
    rows.push(...(await scorer.evaluate()));
  }
  return rows;
}
