// Child process of the throughput section: drains a spooled store with the engine's WorkerPool
// (runner.workers worker threads, each with its own store connection), as `postroom start` does.
// Its stdout is discarded by the parent: the workers log at info there, as in production.
//   node test/bench/pool-drain.ts DATA_DIR COUNT WORKERS RESULT_FILE  (COUNT: for the caller's records)
// The messages arrive 'deferred' far in the future (see holdBack in throughput.ts); timing starts
// when they are requeued, so thread start-up is not counted.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.ts';
import { openAppFromConfig } from '../../src/open-app.ts';
import { WorkerPool } from '../../src/worker-pool.ts';

export interface ThreadTime {
  name: string;
  /** shares of wall time: on a CPU, runnable but waiting for one, neither (blocked or idle) */
  onCpu: number;
  waitingForCpu: number;
  offCpu: number;
}

export interface PoolResult {
  seconds: number;
  cores: number;
  states: Record<string, number>;
  records: number;
  /** the busiest threads of the process (Linux), busiest first */
  threads: ThreadTime[];
}

/** tid → [name, ns on CPU, ns waiting for a CPU] for every thread of this process (Linux). */
function threadStats(): Map<string, [string, number, number]> {
  const stats = new Map<string, [string, number, number]>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
        const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
        stats.set(tid, [name, run ?? 0, wait ?? 0]);
      } catch {
        // the thread ended
      }
    }
  } catch {
    // not Linux
  }
  return stats;
}

const [dataDir, countArg, workersArg, resultFile] = process.argv.slice(2);
if (!dataDir || !workersArg || !resultFile || !countArg) throw new Error('usage: pool-drain.ts DATA_DIR COUNT WORKERS RESULT_FILE');
const config = configSchema.parse({ dataDir, runner: { workers: Number(workersArg) } });
const app = await openAppFromConfig(config, undefined);
const pool = new WorkerPool(config, undefined, app.log);
await pool.start(config.runner.workers);

const cpu = process.cpuUsage();
const before = threadStats();
const start = performance.now();
await app.store.requeue({ state: 'deferred' }, Date.now());
pool.notify();
// A cheap, read-only count on its own connection (WAL: readers never block the workers' writes).
const watcher = new SQLite(join(dataDir, 'postroom.db'), { readonly: true });
const unfinished = watcher.prepare(`SELECT count(*) AS n FROM messages WHERE state IN ('queued', 'processing', 'deferred')`);
const deadline = Date.now() + 15 * 60_000;
while ((unfinished.get() as { n: number }).n > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
const ms = performance.now() - start;
watcher.close();
const report = await app.store.status();
const used = process.cpuUsage(cpu);
const threads: ThreadTime[] = [];
for (const [tid, [name, run, wait]] of threadStats()) {
  const [, run0, wait0] = before.get(tid) ?? [name, 0, 0];
  const onCpu = (run - run0) / 1e6 / ms;
  const waitingForCpu = (wait - wait0) / 1e6 / ms;
  threads.push({ name, onCpu, waitingForCpu, offCpu: Math.max(0, 1 - onCpu - waitingForCpu) });
}
threads.sort((a, b) => b.onCpu - a.onCpu);
const result: PoolResult = {
  threads: threads.slice(0, 4),
  seconds: ms / 1000,
  cores: (used.user + used.system) / 1000 / ms,
  states: report.byState as Record<string, number>,
  records: report.records,
};
writeFileSync(resultFile, JSON.stringify(result));
await pool.stop();
await app.close();
