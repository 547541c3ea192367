// The accuracy report's targets, held in npm test: the same scorers `npm run eval` prints.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateAll } from '../eval/evaluate-all.ts';

test('npm run eval: every target over the corpora is met', { timeout: 600_000 }, async (t) => {
  const rows = await evaluateAll();
  assert.ok(rows.filter((r) => !r.skipped).length >= 10, 'the scorers produced their rows');
  for (const r of rows) {
    if (r.skipped) {
      t.diagnostic(`skipped: ${r.corpus} — ${r.metric}: ${r.skipped}`);
      process.stdout.write(`# eval skipped: ${r.corpus} — ${r.metric}: ${r.skipped}\n`);
      continue;
    }
    t.diagnostic(`${r.corpus} — ${r.metric}: ${r.hits}/${r.total}`);
    if (r.target === null) continue;
    assert.ok(r.total > 0, `${r.corpus} — ${r.metric}: no cases were scored`);
    assert.ok(
      r.hits / r.total >= r.target,
      `${r.corpus} — ${r.metric}: ${r.hits}/${r.total} is below the target ${r.target}; missed: ${(r.misses ?? []).slice(0, 10).join(', ')}`,
    );
  }
});
