// `npm run bench`: processing throughput vs bare mailparser, SMTP intake rate against a real
// `postroom start`, and peak RSS on one very large mail. Figures are printed, never asserted;
// the end is a Markdown table for the README.
//
//   BENCH_MAILS=2000    mails in the throughput corpus (simpleParser, 2 and 1 in-process runners, 2 worker threads)
//   BENCH_SMTP=1000     mails sent over SMTP per run (1 client, then 8 concurrent clients)
//   BENCH_BIG_MB=150    size of the large mail's attachment in MB (base64 makes the mail ~1.37×)
//   BENCH_ONLY=throughput,smtp,big   run only these sections
//   BENCH_PROFILE=DIR   also write a .cpuprofile of each timed runner phase into DIR
//                       (summarise with: node test/bench/profile-summary.ts FILE)
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { measureBigMail, type BigMailFigures } from './big-mail.ts';
import { generateCorpus, type Corpus } from './corpus.ts';
import { measureSmtp, type SmtpFigures } from './smtp.ts';
import { describeCpu, measureRunner, measureSimpleParser, measureWorkerPool, spoolCorpus, type PoolFigures, type RunnerFigures } from './throughput.ts';

const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
  return value;
};
const mails = Math.round(envNumber('BENCH_MAILS', 2000));
const smtpMails = Math.round(envNumber('BENCH_SMTP', 1000));
const bigMb = envNumber('BENCH_BIG_MB', 150);
const only = new Set((process.env['BENCH_ONLY'] ?? 'throughput,smtp,big').split(',').map((s) => s.trim()));
const profileDir = process.env['BENCH_PROFILE'];
const rssTargetMb = 256;

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const f1 = (n: number): string => n.toFixed(1);
const pct = (share: number): string => `${Math.round(share * 100)}%`;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Median latency of a 4 KB write + fsync in the temp folder: what every durable commit waits for. */
function fsyncLatencyMs(rounds = 50): number {
  const file = join(tmpdir(), `postroom-bench-fsync-${process.pid}`);
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < rounds; i += 1) {
      const start = performance.now();
      writeSync(fd, block);
      fsyncSync(fd);
      times.push(performance.now() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

const table: [string, string][] = [];
const started = performance.now();
const loadAtStart = load();

const cores = availableParallelism();
const cpuModel = cpus()[0]?.model.trim() ?? 'unknown';
const fsyncMs = fsyncLatencyMs();
out('# Postroom benchmark');
out();
out(`Machine: ${cores} cores (os.availableParallelism), ${cpuModel}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, ${type()} ${release()}`);
out(`Node ${process.version}; fsync of a 4 KB write in ${tmpdir()}: ${fsyncMs.toFixed(2)} ms (median of 50)`);
out(`Load average at start: ${loadAtStart} (figures are noisy when this is high)`);
out(`Sizes: BENCH_MAILS=${mails} BENCH_SMTP=${smtpMails} BENCH_BIG_MB=${bigMb}`);
table.push(['Machine', `${cores} cores, ${cpuModel}, Node ${process.version}`]);
table.push(['fsync latency (4 KB write, median)', `${fsyncMs.toFixed(2)} ms`]);

if (only.has('throughput')) {
  out();
  out(`## 1. Throughput: spool → processed, vs mailparser simpleParser`);
  const corpus: Corpus = generateCorpus({ count: mails, seed: 42, tag: 'bench' });
  const avgKb = corpus.totalBytes / corpus.mails.length / 1024;
  out(
    `Corpus: ${mails} mails, ${f1(corpus.totalBytes / 2 ** 20)} MB, ${f1(avgKb)} KB average; text + HTML alternatives; ` +
      `${Math.round((100 * corpus.withAttachments) / mails)}% with attachments (5-40 KB); ${Math.round((100 * corpus.replies) / mails)}% replies to earlier mail`,
  );
  const parser = await measureSimpleParser(corpus);
  out(`simpleParser (bare mailparser, one mail after the other): ${describeCpu(parser)}`);

  const spooled = await spoolCorpus(corpus);
  out(`Spooled into a fresh SQLite store in ${spooled.spoolSeconds.toFixed(1)} s (not timed; copied afresh for each run)`);
  let two: RunnerFigures;
  let one: RunnerFigures;
  let pool: PoolFigures;
  try {
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    two = await measureRunner(spooled, 2, profileDir ? join(profileDir, 'runner-2-workers.cpuprofile') : undefined);
    out(`Postroom, 2 in-process runners × concurrency 4 (default settings): ${describeCpu(two)}`);
    one = await measureRunner(spooled, 1, profileDir ? join(profileDir, 'runner-1-worker.cpuprofile') : undefined);
    out(`Postroom, 1 in-process runner  × concurrency 4:                   ${describeCpu(one)}`);
    pool = await measureWorkerPool(spooled, 2);
    out(
      `Postroom engine, WorkerPool of 2 worker threads × concurrency 4 (what \`postroom start\` runs): ${f1(pool.rate)} mails/s ` +
        `(${pool.seconds.toFixed(2)} s; process CPU ${pool.cores.toFixed(2)} cores; ${JSON.stringify(pool.states)})`,
    );
    if (pool.threads.length > 0) {
      out(
        `  busiest threads: ${pool.threads
          .slice(0, 3)
          .map((t) => `${t.name} ${pct(t.onCpu)} on CPU / ${pct(t.waitingForCpu)} waiting for a CPU / ${pct(t.offCpu)} off CPU (blocked or idle)`)
          .join('; ')}`,
      );
    }
  } finally {
    spooled.cleanup();
  }
  out(
    `Final states: ${JSON.stringify(two.states)} (2 runners), ${JSON.stringify(one.states)} (1 runner); ` +
      `records created: ${two.records} / ${one.records} / ${pool.records} (replies processed before their parent open a record of their own)`,
  );
  const ratio = two.rate / parser.rate;
  out(
    `Ratio ours / simpleParser: ${ratio.toFixed(2)} (2 in-process runners), ${(one.rate / parser.rate).toFixed(2)} (1 runner), ` +
      `${(pool.rate / parser.rate).toFixed(2)} (2 worker threads)`,
  );
  const usesBothCores = two.cores > 1.3;
  out(
    usesBothCores
      ? `In-process runners used ${two.cores.toFixed(2)} cores.`
      : `In-process runners do NOT use both cores: 2 runners reach ${(two.rate / one.rate).toFixed(2)}× the rate of 1 with ${two.cores.toFixed(2)} cores of process CPU, ` +
          `and the main thread is never idle (event loop ${(two.eventLoop * 100).toFixed(0)}% busy). Both runners are async loops on that one thread: ` +
          `mailparser, Kysely and better-sqlite3 (each commit's fsync included, synchronous = FULL) all run there; only file I/O goes to libuv's thread pool.`,
  );
  const workerThreads = pool.threads.filter((t) => t.name === 'WorkerThread');
  const mean = (pick: (t: (typeof workerThreads)[number]) => number): number =>
    workerThreads.length === 0 ? 0 : workerThreads.reduce((sum, t) => sum + pick(t), 0) / workerThreads.length;
  out(
    `Worker threads: ${(pool.rate / one.rate).toFixed(2)}× the rate of one in-process runner with ${pool.cores.toFixed(2)} cores of process CPU` +
      (workerThreads.length > 0
        ? `; each worker thread on average ${pct(mean((t) => t.onCpu))} on CPU, ${pct(mean((t) => t.waitingForCpu))} waiting for a CPU ` +
          `(other processes), ${pct(mean((t) => t.offCpu))} off CPU (blocked in fsync'd SQLite commits or on SQLite's single write lock, or idle).`
        : '.'),
  );
  if (profileDir) out(`CPU profiles written to ${profileDir} (node test/bench/profile-summary.ts FILE)`);
  table.push(['Corpus', `${mails} mails, ${f1(avgKb)} KB avg, ${Math.round((100 * corpus.withAttachments) / mails)}% with attachments`]);
  table.push(['simpleParser (bare mailparser)', `${f1(parser.rate)} mails/s`]);
  table.push(['Postroom spool → processed, 2 in-process runners × 4', `${f1(two.rate)} mails/s (${two.cores.toFixed(2)} cores busy)`]);
  table.push(['Postroom spool → processed, 1 runner × 4', `${f1(one.rate)} mails/s (${one.cores.toFixed(2)} cores busy)`]);
  table.push(['Postroom engine, 2 worker threads × 4 (`postroom start`)', `${f1(pool.rate)} mails/s (${pool.cores.toFixed(2)} cores busy)`]);
  table.push(['Ratio ours / simpleParser (2 in-process runners)', ratio.toFixed(2)]);
  table.push(['Ratio ours / simpleParser (2 worker threads)', (pool.rate / parser.rate).toFixed(2)]);
  table.push(['In-process runners use both cores', usesBothCores ? `yes (${two.cores.toFixed(2)} cores)` : 'no: one event loop (2 runners share the main thread)']);
}

if (only.has('smtp')) {
  out();
  out(`## 2. SMTP intake: mails answered 250 by a running \`postroom start\` (runners processing concurrently)`);
  const runs: SmtpFigures[] = [];
  for (const clients of [1, 8]) {
    const corpus = generateCorpus({ count: smtpMails, seed: 100 + clients, tag: `smtp${clients}.${Date.now()}` });
    const f = await measureSmtp(corpus, clients);
    runs.push(f);
    out(
      `${clients === 1 ? '1 client, sequential' : `${clients} concurrent clients`}: ${f.accepted}/${f.mails} accepted in ${f.seconds.toFixed(2)} s = ${f1(f.rate)} mails/s; ` +
        `engine CPU ${f.engineCores === null ? 'n/a' : `${f.engineCores.toFixed(2)} cores`}; ` +
        `${f.processedDuringIntake} already processed at the last 250, all processed after ${f.endToEndSeconds.toFixed(2)} s (${f1(f.accepted / f.endToEndSeconds)} mails/s end to end)`,
    );
  }
  out('Client: nodemailer, pool: true, maxConnections: 1 per client, in the benchmark process; engine: default settings (2 worker threads × concurrency 4).');
  for (const f of runs) {
    table.push([`SMTP intake, ${f.clients === 1 ? '1 client sequential' : `${f.clients} concurrent clients`}`, `${f1(f.rate)} mails/s accepted (${f1(f.accepted / f.endToEndSeconds)} mails/s incl. processing)`]);
  }
}

if (only.has('big')) {
  out();
  out(`## 3. Peak RSS: \`postroom ingest FILE --process\` on one large mail`);
  const f: BigMailFigures = await measureBigMail(bigMb);
  out(`Mail: ${f1(f.fileMb)} MB on disk with one ${f1(f.attachmentMb)} MB attachment (base64), written streaming in ${f.writeSeconds.toFixed(1)} s`);
  const verdict = (mb: number): string => (mb <= rssTargetMb ? `within the ${rssTargetMb} MB target` : `OVER the ${rssTargetMb} MB target by ${f1(mb - rssTargetMb)} MB`);
  out(
    `Large mail: peak RSS ${f1(f.big.peakRssMb)} MB (${verdict(f.big.peakRssMb)}); ${f.big.seconds.toFixed(1)} s; exit ${f.big.exitCode}; ` +
      `state ${f.big.state}, ${f.big.attachments} attachment(s) stored`,
  );
  out(`Tiny mail:  peak RSS ${f1(f.tiny.peakRssMb)} MB (baseline of the same command); ${f.tiny.seconds.toFixed(1)} s; state ${f.tiny.state}`);
  out(`Difference: ${f1(f.big.peakRssMb - f.tiny.peakRssMb)} MB for a ${f1(f.fileMb)} MB mail. Measured with ${f.big.how}.`);
  table.push([`Peak RSS, ingest --process of a ${Math.round(f.fileMb)} MB mail (${Math.round(f.attachmentMb)} MB attachment)`, `${f1(f.big.peakRssMb)} MB (target ${rssTargetMb} MB)`]);
  table.push(['Peak RSS, ingest --process of a tiny mail (baseline)', `${f1(f.tiny.peakRssMb)} MB`]);
}

out();
out(`Load average at end: ${load()}; total ${((performance.now() - started) / 1000).toFixed(0)} s`);
table.push(['Load average (1/5/15 min) at start → end', `${loadAtStart} → ${load()}`]);
out();
out('## Results (paste into the README)');
out();
out('| Figure | Value |');
out('| --- | --- |');
for (const [name, value] of table) out(`| ${name} | ${value.replace(/\|/g, '\\|')} |`);
