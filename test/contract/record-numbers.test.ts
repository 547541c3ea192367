// Seed 001's record numbers under concurrency: 4 worker threads, each with its own database
// connection (as `postroom start` runs them), creating 1,000 records at once get 1,000 distinct
// numbers without a gap, on every backend.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { backends, openTestStore } from '../support/engine.ts';

const workers = 4;
// 1,000 records: enough interleaving to show no number is given twice or skipped, and few
// enough fsyncs to finish when the suite's Dovecot and crash tests load the same disk.
const perWorker = 250;
const script = new URL('../support/record-creator-worker.ts', import.meta.url);

for (const backend of backends()) {
  describe(`record numbers under concurrency (${backend})`, () => {
    it(`${workers} workers creating ${workers * perWorker} records at once: distinct numbers, no gap`, { timeout: 300_000 }, async () => {
      const t = await openTestStore(backend);
      try {
        const runs = Array.from({ length: workers }, async (_, worker) => {
          const thread = new Worker(script, { workerData: { url: t.url, dataDir: t.dataDir, count: perWorker, worker } });
          // A stuck thread fails the test with its name instead of holding it to the timeout.
          const watchdog = setTimeout(() => thread.emit('error', new Error(`worker ${worker} did not finish within 120 s`)), 120_000);
          try {
            const [numbers] = (await once(thread, 'message')) as [string[]];
            await once(thread, 'exit');
            return numbers;
          } finally {
            clearTimeout(watchdog);
            await thread.terminate();
          }
        });
        const numbers = (await Promise.all(runs)).flat();
        assert.equal(numbers.length, workers * perWorker);
        assert.equal(new Set(numbers).size, workers * perWorker, 'no number given twice');
        const sorted = numbers.map((n) => Number(n.slice(3))).sort((a, b) => a - b);
        assert.equal(sorted[0], 10001, 'the first is the configured start');
        assert.equal(sorted.at(-1), 10000 + workers * perWorker, 'the last leaves no gap');
        assert.equal((await t.store.listRecords(workers * perWorker + 10)).length, workers * perWorker);
      } finally {
        await t.cleanup();
      }
    });
  });
}
