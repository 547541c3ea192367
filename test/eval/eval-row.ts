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
