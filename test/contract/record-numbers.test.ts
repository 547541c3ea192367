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

/** A stuck thread fails the test with what it was doing instead of holding it to the timeout. */
async function within<T>(work: Promise<T>, what: string, ms = 120_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`waited ${ms / 1000} s for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

for (const backend of backends()) {
  describe(`record numbers under concurrency (${backend})`, () => {
    it(`${workers} workers creating ${workers * perWorker} records at once: distinct numbers, no gap`, { timeout: 300_000 }, async () => {
      const t = await openTestStore(backend);
      const threads: Worker[] = [];
      try {
        // Threads open their stores one after another (so no thread is still migrating when the
        // others start), then all create their records at the same moment.
        for (let worker = 0; worker < workers; worker++) {
          const thread = new Worker(script, { workerData: { url: t.url, dataDir: t.dataDir, count: perWorker, worker } });
          threads.push(thread);
          await within(once(thread, 'message'), `worker ${worker} to open its store`);
        }
        const runs = threads.map(async (thread, worker) => {
          // Both listeners go on before 'go': a thread's last message and its exit can arrive in
          // the same tick, and an exit listener added after the message would wait forever.
          const done = once(thread, 'message');
          const exited = once(thread, 'exit');
          thread.postMessage('go');
          const [numbers] = (await within(done, `worker ${worker} to create its records`)) as [string[]];
          await within(exited, `worker ${worker} to exit`);
          return numbers;
        });
        const numbers = (await Promise.all(runs)).flat();
        assert.equal(numbers.length, workers * perWorker);
        assert.equal(new Set(numbers).size, workers * perWorker, 'no number given twice');
        const sorted = numbers.map((n) => Number(n.slice(3))).sort((a, b) => a - b);
        assert.equal(sorted[0], 10001, 'the first is the configured start');
        assert.equal(sorted.at(-1), 10000 + workers * perWorker, 'the last leaves no gap');
        assert.equal((await t.store.listRecords(workers * perWorker + 10)).length, workers * perWorker);
      } finally {
        await Promise.all(threads.map((thread) => thread.terminate()));
        await t.cleanup();
      }
    });
  });
}
