/** One line of the accuracy table that `npm run eval` prints. */
export interface EvalRow {
  corpus: string;      // e.g. 'bounces (sisimai)'
  metric: string;      // e.g. 'bounce detected'
  hits: number;        // e.g. 396
  total: number;       // e.g. 399
  target: number | null; // required share, 0..1, e.g. 0.99; null = reported only
  skipped?: string;    // set when the corpus is absent: why
  misses?: string[];   // file names that missed, for the verbose listing
}

/** A row being counted: the misses are kept for `npm run eval -- --verbose`. */
export type Row = EvalRow & { misses: string[] };

export function row(corpus: string, metric: string, target: number | null): Row {
  return { corpus, metric, hits: 0, total: 0, target, misses: [] };
}

export function count(r: Row, hit: boolean, file: string, detail = ''): void {
  r.total += 1;
  if (hit) r.hits += 1;
  else r.misses.push(detail ? `${file}: ${detail}` : file);
}

/** The rows of a corpus that is not here, each saying why. */
export function skippedRows(corpus: string, metrics: string[], why: string): EvalRow[] {
  return metrics.map((metric) => ({ corpus, metric, hits: 0, total: 0, target: null, skipped: why }));
}
