// Section 1: spool → processed throughput of the Runner against bare mailparser simpleParser.
import SQLite from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import type { App } from '../../src/cli/app.ts';
import { runnerContext } from '../../src/cli/runner-context.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { MessageState } from '../../src/core/message.ts';
import { spoolRaw, type SpoolContext } from '../../src/intake/spool-writer.ts';
import { Runner } from '../../src/runner.ts';
import { openBlobs } from '../../src/store/blobs/tiered-blobs.ts';
import { SpoolView } from '../../src/store/blobs/spool-view.ts';
import { openStore } from '../../src/store/open-store.ts';
import { tempDir } from '../support/engine.ts';
import type { Corpus } from './corpus.ts';
import type { PoolResult, ThreadTime } from './pool-drain.ts';

const poolDrain = join(import.meta.dirname, 'pool-drain.ts');

export interface CpuFigures {
  seconds: number;
  rate: number;
  /** process CPU time (all threads) / wall time: 1.0 = one core busy */
  cores: number;
  /** share of wall time the main thread's event loop was busy */
  eventLoop: number;
  /** where the main thread's wall time went (Linux /proc schedstat), or null elsewhere */
  mainThread: MainThreadTime | null;
}

/** Shares of wall time (0-1) of the main thread, which runs all JavaScript. */
export interface MainThreadTime {
  /** running on a CPU */
  onCpu: number;
  /** runnable but waiting for a CPU (other processes, or the thread pool, had it) */
  waitingForCpu: number;
  /** the event loop had nothing to do */
  idle: number;
  /** the rest: off CPU inside a synchronous call (fsync in SQLite commits, sync fs calls), page faults */
  blocked: number;
}

const pct = (share: number): string => `${Math.round(share * 100)}%`;

/** One line: the rate, and where the main thread's time went. */
export function describeCpu(f: CpuFigures): string {
  const m = f.mainThread;
  const main = m
    ? `; main thread ${pct(m.onCpu)} on CPU, ${pct(m.waitingForCpu)} waiting for a CPU, ${pct(m.blocked)} blocked in sync calls, ${pct(m.idle)} idle`
    : `; event loop ${pct(f.eventLoop)} busy`;
  return `${f.rate.toFixed(1)} mails/s (${f.seconds.toFixed(2)} s; process CPU ${f.cores.toFixed(2)} cores${main})`;
}

/** [ns on CPU, ns waiting on the run queue] of the main thread. */
function mainThreadSchedstat(): [number, number] | null {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return run === undefined || wait === undefined ? null : [run, wait];
  } catch {
    return null;
  }
}

export interface RunnerFigures extends CpuFigures {
  workers: number;
  concurrency: number;
  states: Partial<Record<MessageState, number>>;
  records: number;
  spoolSeconds: number;
}

/** Times `work` and reports the CPU it used alongside the wall time. */
export async function measure(count: number, work: () => Promise<void>): Promise<CpuFigures> {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const sched = mainThreadSchedstat();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const schedAfter = mainThreadSchedstat();
  const eventLoop = performance.eventLoopUtilization(elu).utilization;
  let mainThread: MainThreadTime | null = null;
  if (sched && schedAfter) {
    const onCpu = (schedAfter[0] - sched[0]) / 1e6 / ms;
    const waitingForCpu = (schedAfter[1] - sched[1]) / 1e6 / ms;
    const idle = 1 - eventLoop;
    mainThread = { onCpu, waitingForCpu, idle, blocked: Math.max(0, 1 - onCpu - waitingForCpu - idle) };
  }
  return {
    seconds: ms / 1000,
    rate: count / (ms / 1000),
    cores: (used.user + used.system) / 1000 / ms,
    eventLoop,
    mainThread,
  };
}

/** Bare mailparser over the corpus, one mail after the other, as a library user would call it. */
export async function measureSimpleParser(corpus: Corpus): Promise<CpuFigures & { attachments: number }> {
  let attachments = 0;
  const figures = await measure(corpus.mails.length, async () => {
    for (const mail of corpus.mails) {
      const parsed = await simpleParser(mail);
      attachments += parsed.attachments.length;
    }
  });
  return { ...figures, attachments };
}

/** A data folder with the corpus spooled (all queued), made once and copied for every run. */
export interface SpooledCorpus {
  dir: string;
  count: number;
  spoolSeconds: number;
  cleanup(): void;
}

/** Spools every mail of the corpus into a fresh store with the default configuration (not timed). */
export async function spoolCorpus(corpus: Corpus): Promise<SpooledCorpus> {
  const dir = tempDir('postroom-bench-spool-');
  const config = configSchema.parse({ dataDir: dir });
  const store = await openStore(config.database.url, dir);
  const blobs = openBlobs(dir, store);
  const view = new SpoolView(dir, blobs);
  const mailbox = config.mailboxes[0]?.address ?? corpus.to;
  const spool: SpoolContext = {
    store,
    blobs,
    maxMessageSize: config.limits.messageSize,
    now: Date.now,
    onSpooled: async (rows) => {
      for (const row of rows) await view.show(row.id, row.sha256, 'queued', { bytes: row.bytes, fresh: !row.duplicate });
    },
  };
  const start = performance.now();
  await inBatches(corpus.mails, 8, (mail) =>
    spoolRaw(spool, Readable.from([mail]), { mailboxes: [mailbox], source: 'file', origin: 'bench' }).then(() => undefined),
  );
  const spoolSeconds = (performance.now() - start) / 1000;
  await store.close();
  return { dir, count: corpus.mails.length, spoolSeconds, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Copies the spooled store to a fresh folder, then times `workers` Runner instances sharing it,
 * built as `postroom start` builds them, until every message has reached its final state.
 */
export async function measureRunner(spooled: SpooledCorpus, workers: number, profileFile?: string): Promise<RunnerFigures> {
  const dataDir = tempDir('postroom-bench-');
  try {
    cpSync(spooled.dir, dataDir, { recursive: true });
    // The default configuration (what `postroom init` writes), only the data folder moved.
    const config = configSchema.parse({ dataDir });
    const store = await openStore(config.database.url, dataDir);
    const blobs = openBlobs(dataDir, store);
    const view = new SpoolView(dataDir, blobs);

    // Completion is seen where the runner shows a committed message in its spool folder.
    const total = spooled.count;
    const states: Partial<Record<MessageState, number>> = {};
    let finished = 0;
    let allDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const app: App = {
      config,
      configFile: undefined,
      signing: { secret: 'bench-signing-secret-0123456789', domain: 'postroom.bench' },
      store,
      blobs,
      showInSpool: async (id, sha256, state) => {
        await view.show(id, sha256, state);
        if (state === 'queued' || state === 'processing' || state === 'deferred') return;
        states[state ?? 'processed'] = (states[state ?? 'processed'] ?? 0) + 1;
        finished += 1;
        if (finished === total) allDone();
      },
      // The engine logs at info to stdout (one line per message); the same cost, sent nowhere.
      log: pino({ level: config.log.level }, pino.destination({ dest: '/dev/null', sync: true })),
      close: () => store.close(),
    };
    const runners: Runner[] = [];
    for (let i = 0; i < workers; i++) runners.push(new Runner(await runnerContext(app)));
    let timer: NodeJS.Timeout | undefined;
    const profiler = profileFile ? await startProfiler() : null;
    const figures = await measure(total, async () => {
      for (const runner of runners) await runner.start();
      await Promise.race([
        done,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`runner did not finish ${total} mails in 15 min (${finished} done)`)), 15 * 60_000);
        }),
      ]);
    });
    clearTimeout(timer);
    if (profiler && profileFile) await profiler.stop(profileFile);
    await Promise.all(runners.map((r) => r.stop()));
    const status = await store.status();
    await store.close();
    return { ...figures, workers, concurrency: config.runner.concurrency, states, records: status.records, spoolSeconds: spooled.spoolSeconds };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface PoolFigures {
  workers: number;
  seconds: number;
  rate: number;
  /** process CPU of the child (all threads) / wall time */
  cores: number;
  states: Record<string, number>;
  records: number;
  threads: ThreadTime[];
}

/** Parks every spooled message as deferred far in the future, so workers can start before timing. */
function holdBack(dataDir: string): void {
  const db = new SQLite(join(dataDir, 'postroom.db'));
  try {
    db.prepare(`UPDATE messages SET state = 'deferred', next_attempt_at = ? WHERE state = 'queued'`).run(Number.MAX_SAFE_INTEGER);
  } finally {
    db.close();
  }
}

/**
 * The engine's own processing: WorkerPool with `workers` threads (each its own Runner and store
 * connection, default concurrency 4), in a child process whose stdout (the workers' info logs)
 * is discarded. Timed from the requeue of all messages until all are final.
 */
export async function measureWorkerPool(spooled: SpooledCorpus, workers: number, nodeArgs: readonly string[] = []): Promise<PoolFigures> {
  const dataDir = tempDir('postroom-bench-pool-');
  try {
    cpSync(spooled.dir, dataDir, { recursive: true });
    holdBack(dataDir);
    const resultFile = join(dataDir, 'result.json');
    const child = spawn(process.execPath, [...nodeArgs, poolDrain, dataDir, String(spooled.count), String(workers), resultFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 16 * 60_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(timer);
    if (code !== 0 || !existsSync(resultFile)) throw new Error(`pool-drain.ts exited with ${code}:\n${stderr}`);
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as PoolResult;
    return { workers, rate: spooled.count / result.seconds, ...result };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function inBatches<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}

/** A V8 CPU profile of this process (main thread) from now until stop(), written as a .cpuprofile. */
async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
