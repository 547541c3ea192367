// `npm run eval`: the accuracy report. Scores decide over the corpora of real mail with expected
// results (test/corpora/ and, for the GPL/AGPL sets, ../shared/corpora/) and prints one table.
// --verbose lists the files that missed; --json prints the rows; --strict exits 1 when a target
// is missed (the eval test in npm test asserts the same targets).
import type { EvalRow } from './eval-row.ts';
import { evaluateAll } from './evaluate-all.ts';

const args = new Set(process.argv.slice(2));
const started = performance.now();
const rows = await evaluateAll();
const seconds = ((performance.now() - started) / 1000).toFixed(1);

if (args.has('--json')) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  process.stdout.write(markdownTable(rows));
  process.stdout.write(`\n${rows.filter((r) => !r.skipped).length} rows in ${seconds}s\n`);
  if (args.has('--verbose'))
    for (const r of rows)
      if (r.misses && r.misses.length > 0)
        process.stdout.write(`\n${r.corpus} — ${r.metric} missed:\n  ${r.misses.join('\n  ')}\n`);
}
const missed = rows.filter((r) => !r.skipped && r.target !== null && r.total > 0 && r.hits / r.total < r.target);
if (missed.length > 0 && args.has('--strict')) process.exitCode = 1;

function markdownTable(list: readonly EvalRow[]): string {
  const lines = ['| corpus | metric | result | share | target |', '| --- | --- | ---: | ---: | --- |'];
  for (const r of list) {
    if (r.skipped) {
      lines.push(`| ${r.corpus} | ${r.metric} | skipped | | ${r.skipped} |`);
      continue;
    }
    const share = r.total > 0 ? r.hits / r.total : 0;
    const target =
      r.target === null ? 'reported' : `≥ ${(r.target * 100).toFixed(0)} % ${share >= r.target ? '✓' : '✗ missed'}`;
    lines.push(`| ${r.corpus} | ${r.metric} | ${r.hits}/${r.total} | ${(share * 100).toFixed(1)} % | ${target} |`);
  }
  return `${lines.join('\n')}\n`;
}
