// Section 1: spool → processed throughput of the Runner against bare mailparser simpleParser.
import { rmSync, writeFileSync } from 'node:fs';
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
import { FsBlobStore } from '../../src/store/blobs/fs-blobs.ts';
import { SpoolView } from '../../src/store/blobs/spool-view.ts';
import { openStore } from '../../src/store/open-store.ts';
import { tempDir } from '../support/engine.ts';
import type { Corpus } from './corpus.ts';

export interface CpuFigures {
  seconds: number;
  rate: number;
  /** process CPU time (all threads) / wall time: 1.0 = one core busy */
  cores: number;
  /** share of wall time the main thread's event loop was busy */
  eventLoop: number;
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
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return {
    seconds: ms / 1000,
    rate: count / (ms / 1000),
    cores: (used.user + used.system) / 1000 / ms,
    eventLoop: performance.eventLoopUtilization(elu).utilization,
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

/**
 * Spools the corpus into a fresh SQLite store (not timed), then times `workers` Runner instances
 * sharing that store, exactly as `postroom start` builds them, until every message is final.
 */
export async function measureRunner(corpus: Corpus, workers: number, profileFile?: string): Promise<RunnerFigures> {
  const dataDir = tempDir('postroom-bench-');
  try {
    // The default configuration (what `postroom init` writes), only the data folder moved.
    const config = configSchema.parse({ dataDir });
    const store = await openStore(config.database.url, dataDir);
    const blobs = new FsBlobStore(dataDir);
    const view = new SpoolView(dataDir, blobs);
    const mailbox = config.mailboxes[0]?.address ?? corpus.to;

    const spool: SpoolContext = {
      store,
      blobs,
      maxMessageSize: config.limits.messageSize,
      now: Date.now,
      onSpooled: (id, sha256) => view.show(id, sha256, 'queued'),
    };
    const spoolStart = performance.now();
    await inBatches(corpus.mails, 8, (mail) =>
      spoolRaw(spool, Readable.from([mail]), { mailboxes: [mailbox], source: 'file', origin: 'bench' }).then(() => undefined),
    );
    const spoolSeconds = (performance.now() - spoolStart) / 1000;

    // Completion is seen where the runner shows a committed message in its spool folder.
    const total = corpus.mails.length;
    const states: Partial<Record<MessageState, number>> = {};
    let finished = 0;
    let allDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const app: App = {
      config,
      configFile: undefined,
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
    const runners = Array.from({ length: workers }, () => new Runner(runnerContext(app)));
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
    return { ...figures, workers, concurrency: config.runner.concurrency, states, records: status.records, spoolSeconds };
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
