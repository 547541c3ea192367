// `npm run bench`: processing throughput vs bare mailparser, SMTP intake rate against a real
// `postroom start`, and peak RSS on one very large mail. Figures are printed, never asserted;
// the end is a Markdown table for the README.
//
//   BENCH_MAILS=2000    mails in the throughput corpus (simpleParser, 2 and 1 in-process runners, 2 worker threads)
//   BENCH_SMTP=1000     mails sent over SMTP per run (1 client, then 8 concurrent clients)
//   BENCH_BIG_MB=150    size of the large mail's attachment in MB (base64 makes the mail ~1.37×)
//   BENCH_FETCH=1000    messages per mailbox in the Dovecot intake runs (IMAP and POP3)
//   BENCH_FETCH_ROUNDS=3  paired rounds (baseline and Postroom) per protocol; the median ratio is reported
//   BENCH_FETCHMAIL=100 messages fetchmail hands to `postroom ingest -` (one process each: slow)
//   BENCH_IDLE=200      messages APPENDed one at a time for the IDLE latency
//   BENCH_IDLE_BUDGET=300  seconds after which the IDLE run stops APPENDing (fewer samples)
//   BENCH_SCREEN=1000   generated mails for the screening cost (decide vs parse alone)
//   BENCH_DIRECTORY=100000  contacts in the directory import
//   BENCH_SCALE_MESSAGES=1000000 BENCH_SCALE_RECORDS=200000 BENCH_SCALE_MAILS=2000  categorize at scale
//   BENCH_WEBHOOKS=2000  events per round in the webhook delivery rate (3 alternating rounds)
//   BENCH_RULES=1000 BENCH_ROUTING_MAILS=1000  routing cost: decide with that many rules vs none
//   BENCH_OUTBOX=1000   queued answers per round in the outbox drain rate (3 alternating rounds)
//   BENCH_ONLY=throughput,smtp,big,imap,pop3,idle,screening,directory,categorize,webhooks,outbox,retention,http   run only these sections (imap, pop3, idle
//                       need Dovecot; pop3 also times fetchmail + `postroom ingest -` when installed)
//   BENCH_PROFILE=DIR   also write a .cpuprofile of each timed runner phase into DIR
//                       (summarise with: node test/bench/profile-summary.ts FILE)
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { measureBigMail, type BigMailFigures } from './big-mail.ts';
import {
  connectorIntake,
  dovecotVersion,
  fetchmailIntake,
  fetchmailVersion,
  haveDovecot,
  idleFloor,
  idleLatency,
  imapBaseline,
  percentile,
  pop3Baseline,
  seedUser,
  startDovecot,
  whichFetchmail,
  type ConnectorFigures,
  type RateFigures,
  type RunningDovecot,
} from './connectors.ts';
import { generateCorpus, type Corpus } from './corpus.ts';
import { measureCategorizeAtScale, type CategorizeScaleFigures } from './categorize-scale.ts';
import { measureDirectoryImport, type DirectoryImportFigures } from './directory-import.ts';
import { measureOutbox, type OutboxFigures } from './outbox.ts';
import { measureRetention, type RetentionFigures } from './retention.ts';
import { measureScreening, type ScreeningFigures } from './screening.ts';
import { measureSmtp, type SmtpFigures } from './smtp.ts';
import { measureHttpIntake, type HttpFigures } from './http.ts';
import { measureWebhooks, type WebhookFigures } from './webhooks.ts';
import { measureRouting, type RoutingFigures } from './routing.ts';
import { describeCpu, measureRunner, measureSimpleParser, measureWorkerPool, spoolCorpus, type PoolFigures, type RunnerFigures } from './throughput.ts';
import { median } from './stats.ts';

const envNumber = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
  return value;
};
const mails = Math.round(envNumber('BENCH_MAILS', 2000));
const smtpMails = Math.round(envNumber('BENCH_SMTP', 1000));
const bigMb = envNumber('BENCH_BIG_MB', 150);
const fetchMails = Math.round(envNumber('BENCH_FETCH', 1000));
const intakeRounds = Math.round(envNumber('BENCH_FETCH_ROUNDS', 3));
const fetchmailMails = Math.min(fetchMails, Math.round(envNumber('BENCH_FETCHMAIL', 100)));
const idleMails = Math.round(envNumber('BENCH_IDLE', 200));
const idleBudget = envNumber('BENCH_IDLE_BUDGET', 300);
const screeningMails = Math.round(envNumber('BENCH_SCREEN', 1000));
const directoryRows = Math.round(envNumber('BENCH_DIRECTORY', 100_000));
const scaleMessages = Math.round(envNumber('BENCH_SCALE_MESSAGES', 1_000_000));
const scaleRecords = Math.round(envNumber('BENCH_SCALE_RECORDS', 200_000));
const scaleMails = Math.round(envNumber('BENCH_SCALE_MAILS', 2000));
const webhookEvents = Math.round(envNumber('BENCH_WEBHOOKS', 2000));
const routingMails = Math.round(envNumber('BENCH_ROUTING_MAILS', 1000));
const routingRules = Math.round(envNumber('BENCH_RULES', 1000));
const only = new Set((process.env['BENCH_ONLY'] ?? 'throughput,smtp,big,imap,pop3,idle,screening,directory,categorize,webhooks,outbox,retention,http').split(',').map((s) => s.trim()));
const outboxMails = Math.round(envNumber('BENCH_OUTBOX', 1000));
const retentionMails = Math.round(envNumber('BENCH_RETENTION', 2000));
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
out(`Sizes: BENCH_MAILS=${mails} BENCH_SMTP=${smtpMails} BENCH_BIG_MB=${bigMb} BENCH_FETCH=${fetchMails} BENCH_IDLE=${idleMails} BENCH_IDLE_BUDGET=${idleBudget}`);
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

const wantsDovecot = only.has('imap') || only.has('pop3') || only.has('idle');
if (wantsDovecot && !(await haveDovecot())) {
  out();
  out('## 4-5. Mailbox intake and IDLE latency: Dovecot not installed (dovecot-core, dovecot-imapd, dovecot-pop3d): skipped');
} else if (wantsDovecot) {
  const dovecot: RunningDovecot = await startDovecot();
  try {
    const dovecotInfo = `Dovecot ${await dovecotVersion()} on 127.0.0.1 (plain IMAP/POP3, Maildir in ${tmpdir()})`;
    table.push(['Mail server for sections 4-5', dovecotInfo]);
    if (only.has('imap') || only.has('pop3')) {
      out();
      out(`## 4. Mailbox intake: Dovecot → committed spool, vs a bare client reading the same mailbox`);
      const corpus: Corpus = generateCorpus({ count: fetchMails, seed: 7, tag: `fetch.${Date.now()}` });
      const avgKb = corpus.totalBytes / corpus.mails.length / 1024;
      out(`${dovecotInfo}. Each run reads its own fresh user holding the same ${fetchMails} mails (${f1(corpus.totalBytes / 2 ** 20)} MB, ${f1(avgKb)} KB average), index built beforehand.`);
      out('Ours: the connector as `postroom start` builds it (afterProcessing: keep, batchSize 10,000) into a fresh SQLite spool (intake connection, synchronous = FULL; mail up to 256 KiB committed to postroom.raw.db just before its rows, larger mail fsynced to a blob file; the spool/incoming view written behind, as `postroom start` does, and checked complete after the run), polled until no backlog is left.');
      const rateOf = (f: RateFigures): string =>
        `${f1(f.rate)} msgs/s (${f.messages} msgs, ${f1(f.bytes / 2 ** 20)} MB in ${f.seconds.toFixed(2)} s${f.cores === null ? '' : `; this process ${f.cores.toFixed(2)} cores`})`;
      const settle = async (): Promise<void> => {
        execFileSync('sync');
        await new Promise((resolve) => setTimeout(resolve, 500));
      };
      // The machine is noisy: each side runs `intakeRounds` times on fresh users, alternating which
      // goes first, and the median of the per-round ratios is the figure.
      const paired = async (
        kind: 'imap' | 'pop3',
        bare: (user: string) => Promise<RateFigures>,
        label: { base: string; ours: string; short: string },
      ): Promise<ConnectorFigures[]> => {
        const rounds: { base: RateFigures; ours: ConnectorFigures; noCommit: ConnectorFigures }[] = [];
        for (let round = 1; round <= intakeRounds; round++) {
          await seedUser(dovecot, `${kind}base${round}`, corpus.mails);
          await seedUser(dovecot, `${kind}ours${round}`, corpus.mails);
          await seedUser(dovecot, `${kind}nocommit${round}`, corpus.mails);
          // Each timed run starts with no writeback pending (seeding and the other runs write tens of MB).
          const runOurs = async (): Promise<ConnectorFigures> => {
            await settle();
            return connectorIntake(dovecot, `${kind}ours${round}`, kind, fetchMails);
          };
          const runBare = async (): Promise<RateFigures> => {
            await settle();
            return bare(`${kind}base${round}`);
          };
          let base: RateFigures;
          let ours: ConnectorFigures;
          if (round % 2 === 1) {
            base = await runBare();
            ours = await runOurs();
          } else {
            ours = await runOurs();
            base = await runBare();
          }
          await settle();
          const noCommit = await connectorIntake(dovecot, `${kind}nocommit${round}`, kind, fetchMails, { commit: false });
          rounds.push({ base, ours, noCommit });
          out(
            `${label.short} round ${round}: baseline ${rateOf(base)}; Postroom (${ours.polls} poll${ours.polls === 1 ? '' : 's'}, ${ours.spooled} rows) ${rateOf(ours)}; ratio ${(ours.rate / base.rate).toFixed(2)}; ` +
              `diagnostic, the same connector with a spool commit that writes nothing: ${f1(noCommit.rate)} msgs/s, ratio ${(noCommit.rate / base.rate).toFixed(2)}`,
          );
        }
        const ratios = rounds.map((r) => r.ours.rate / r.base.rate);
        const noCommitRatio = median(rounds.map((r) => r.noCommit.rate / r.base.rate));
        out(`${label.short} diagnostic: without the durable commit the connector runs at ${noCommitRatio.toFixed(2)}× the baseline (median); the rest is the store's fsynced writes.`);
        table.push([`${label.short} diagnostic: connector with a no-op spool commit / baseline, median`, noCommitRatio.toFixed(2)]);
        const ratio = median(ratios);
        const baseRate = median(rounds.map((r) => r.base.rate));
        const oursRate = median(rounds.map((r) => r.ours.rate));
        out(`${label.short} ratio ours / baseline, median of ${intakeRounds}: ${ratio.toFixed(2)} (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')}; target ≥ 0.5: ${ratio >= 0.5 ? 'met' : 'NOT met'})`);
        table.push([`${label.base} (${fetchMails} × ${f1(avgKb)} KB), median`, `${f1(baseRate)} msgs/s`]);
        table.push([`${label.ours}, median`, `${f1(oursRate)} msgs/s`]);
        table.push([`${label.short} ratio ours / baseline, median of ${intakeRounds} (target ≥ 0.5)`, `${ratio.toFixed(2)} (${ratios.map((x) => x.toFixed(2)).join(', ')})`]);
        return rounds.map((r) => r.ours);
      };
      if (only.has('imap')) {
        out("IMAP baseline: bare imapflow FETCH 1:* BODY.PEEK[] (client.fetch('1:*', { source: true })); Postroom: ImapConnector.poll() → spool.");
        await paired('imap', (user) => imapBaseline(dovecot, user), {
          base: 'IMAP intake, bare imapflow FETCH 1:*',
          ours: 'IMAP intake, Postroom ImapConnector → committed spool',
          short: 'IMAP',
        });
      }
      if (only.has('pop3')) {
        out('POP3 baseline: our Pop3Client UIDL + RETR each, read and discarded; Postroom: Pop3Connector.poll() → spool.');
        const oursRuns = await paired('pop3', (user) => pop3Baseline(dovecot, user), {
          base: 'POP3 intake, bare Pop3Client UIDL + RETR',
          ours: 'POP3 intake, Postroom Pop3Connector → committed spool',
          short: 'POP3',
        });
        const ours = { rate: median(oursRuns.map((r) => r.rate)) };
        const fetchmail = await whichFetchmail();
        if (!fetchmail) {
          out('fetchmail not installed: skipped');
          table.push(['POP3 via fetchmail → `postroom ingest -` as MDA', 'fetchmail not installed: skipped']);
        } else {
          await seedUser(dovecot, 'popfetchmail', corpus.mails.slice(0, fetchmailMails));
          const fm = await fetchmailIntake(dovecot, fetchmail, 'popfetchmail', fetchmailMails);
          const fmRatio = ours.rate / fm.rate;
          out(`fetchmail ${await fetchmailVersion(fetchmail)} (keep, no TLS) with --mda "node src/main.ts -c CONFIG ingest -", one Postroom process per mail: ${rateOf(fm)}`);
          out(`Ratio Pop3Connector / fetchmail + ingest: ${fmRatio.toFixed(1)}× (target ≥ 10×: ${fmRatio >= 10 ? 'met' : 'NOT met'})`);
          table.push([`POP3 via fetchmail → \`postroom ingest -\` as MDA (${fetchmailMails} mails)`, `${f1(fm.rate)} msgs/s`]);
          table.push(['Ratio Pop3Connector / fetchmail + ingest (target ≥ 10×)', `${fmRatio.toFixed(1)}×`]);
        }
      }
    }
    if (only.has('idle')) {
      out();
      out(`## 5. IMAP IDLE latency: APPEND → spooled → processed in a running \`postroom start\``);
      const corpus: Corpus = generateCorpus({ count: idleMails, seed: 11, tag: `idle.${Date.now()}`, to: 'idle@bench.example' });
      const floorSamples = Math.min(idleMails, 50);
      const floor = await idleFloor(dovecot, corpus.mails.slice(0, floorSamples));
      const f = await idleLatency(dovecot, corpus, idleBudget);
      const ms = (v: number): string => (Number.isNaN(v) ? 'n/a' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);
      const p = (values: number[]): string => `p50 ${ms(percentile(values, 0.5))}, p99 ${ms(percentile(values, 0.99))}, max ${ms(values.at(-1) ?? Number.NaN)}`;
      out(
        `Server floor, bare imapflow in IDLE, APPEND → EXISTS (${floor.length} msgs): ${p(floor)}. ` +
          'Dovecot tells IDLE sessions about a change only 500 ms after it sees it (NOTIFY_DELAY_MSECS in src/lib-storage/mailbox-watch.c).',
      );
      out(
        'Engine: default settings (2 worker threads × 4), one IMAP mailbox idle: true, pollingInterval 1h, afterProcessing: delete (default). ' +
          'APPENDs one at a time over one connection of the benchmark, the next once the previous is final; store read every 10 ms (read-only SQLite).',
      );
      out(
        `Measured ${f.measured} of ${f.asked} APPENDs in ${f.seconds.toFixed(1)} s` +
          `${f.budgetHit ? ` (stopped by BENCH_IDLE_BUDGET=${idleBudget} s)` : ''}${f.timedOut > 0 ? `; ${f.timedOut} not final within 60 s (run stopped)` : ''}; final states ${JSON.stringify(f.states)}`,
      );
      out(`APPEND → spooled (row committed): ${p(f.spooledMs)}`);
      out(`APPEND → processed:               ${p(f.finalMs)}`);
      const p50 = percentile(f.finalMs, 0.5) / 1000;
      const p99 = percentile(f.finalMs, 0.99) / 1000;
      out(
        `Targets p50 ≤ 0.3 s: ${p50 <= 0.3 ? 'met' : 'NOT met'}; p99 ≤ 1 s: ${p99 <= 1 ? 'met' : 'NOT met'}. ` +
          `Above the server floor (p50): ${ms(percentile(f.finalMs, 0.5) - percentile(floor, 0.5))} to processed.`,
      );
      table.push([`IDLE floor, bare imapflow APPEND → EXISTS (${floor.length} msgs)`, `p50 ${ms(percentile(floor, 0.5))}, p99 ${ms(percentile(floor, 0.99))}`]);
      table.push([`IDLE latency APPEND → spooled (${f.measured} msgs)`, `p50 ${ms(percentile(f.spooledMs, 0.5))}, p99 ${ms(percentile(f.spooledMs, 0.99))}`]);
      table.push([`IDLE latency APPEND → processed (${f.measured} msgs; targets p50 ≤ 0.3 s, p99 ≤ 1 s)`, `p50 ${ms(percentile(f.finalMs, 0.5))}, p99 ${ms(percentile(f.finalMs, 0.99))}`]);
    }
  } finally {
    await dovecot.stop();
  }
}

if (only.has('screening')) {
  out();
  out('## 7. Screening + categorizing: cost per message against parse alone, and decide over the corpora');
  const corpus = generateCorpus({ count: screeningMails, seed: 7, tag: 'screen' });
  const f: ScreeningFigures = await measureScreening(corpus.mails);
  out(
    `Typical corpus (${f.mails} generated support mails): parse alone ${f.parseMsPerMail.toFixed(3)} ms/mail, ` +
      `decide (parse → screen → identify → categorize → route, empty in-memory store, no DNS) ${f.decideMsPerMail.toFixed(3)} ms/mail; ` +
      `ratio decide / parse ${f.ratio.toFixed(2)} (screening, categorizing and routing add ${(f.decideMsPerMail - f.parseMsPerMail).toFixed(3)} ms/mail). Medians of 3 alternating rounds.`,
  );
  out(
    `decide over the corpora (${f.corpus.folders.join(', ')}${f.corpus.skipped.length > 0 ? `; absent: ${f.corpus.skipped.join(', ')}` : ''}): ` +
      `${f.corpus.mails} mails in ${f.corpus.seconds.toFixed(2)} s = ${f1(f.corpus.rate)} mails/s on one core`,
  );
  table.push([`Parse alone, typical mail (${f.mails} mails)`, `${f.parseMsPerMail.toFixed(3)} ms/mail`]);
  table.push(['decide (parse + screen + identify + categorize + route), typical mail', `${f.decideMsPerMail.toFixed(3)} ms/mail (ratio ${f.ratio.toFixed(2)} against parse alone)`]);
  table.push([`decide over the corpora (${f.corpus.mails} real mails)`, `${f1(f.corpus.rate)} mails/s, one core`]);
}

if (only.has('routing')) {
  out();
  out(`## 12. Routing: decide with ${routingRules} configured rules against decide with none, same mails`);
  const corpus = generateCorpus({ count: routingMails, seed: 13, tag: 'route' });
  const f: RoutingFigures = await measureRouting(corpus.mails, routingRules);
  out(
    `${f.mails} generated support mails, ${f.rules} rules (pre-filter, filter, post-filter, inbound actions; subject, sender, header, body regex, all/any/not): ` +
      `no rules ${f.noRulesMsPerMail.toFixed(3)} ms/mail, with rules ${f.withRulesMsPerMail.toFixed(3)} ms/mail; ratio ${f.ratio.toFixed(2)} ` +
      `(${f.firedPerMail.toFixed(2)} rules fired per mail). Medians of 3 alternating rounds.`,
  );
  table.push([`decide with ${f.rules} rules vs none (${f.mails} mails)`, `${f.withRulesMsPerMail.toFixed(3)} vs ${f.noRulesMsPerMail.toFixed(3)} ms/mail (ratio ${f.ratio.toFixed(2)})`]);
}

if (only.has('categorize')) {
  out();
  out(`## 8. Categorize at scale: decide with ${scaleMessages} stored messages and ${scaleRecords} records vs an empty store`);
  const f: CategorizeScaleFigures = await measureCategorizeAtScale({ messages: scaleMessages, records: scaleRecords, mails: scaleMails });
  out(
    `Big store filled in ${f.big.fillSeconds.toFixed(1)} s (${Math.round(f.big.dbMb)} MB SQLite). ${scaleMails} mails (40% thread headers, 20% watermarks, 20% "Re: CASE…" from the requester, 20% new), ` +
      `same mails on both, 50-mail slices alternating, median of 3 rounds: empty ${f1(f.empty.rate)} mails/s, big ${f1(f.big.rate)} mails/s; ` +
      `attached ${f.attached.empty} / ${f.attached.big}. Ratio big / empty ${f.ratio.toFixed(3)} (target ≥ 0.9: ${f.ratio >= 0.9 ? 'met' : 'NOT met'}).`,
  );
  table.push([`Categorize with ${scaleMessages} messages / ${scaleRecords} records vs empty store (target ≥ 0.9)`, `${f.ratio.toFixed(3)} (${f1(f.big.rate)} vs ${f1(f.empty.rate)} mails/s)`]);
}

if (only.has('directory')) {
  out();
  out('## 9. Directory import: contacts per second into the embedded store');
  const f: DirectoryImportFigures = await measureDirectoryImport(directoryRows);
  out(
    `${f.rows} contacts (CSV, across companies; parsing and validation included) imported in ${f.seconds.toFixed(2)} s = ${Math.round(f.rate)} rows/s (${f.store}, one transaction per 5,000 rows)`,
  );
  table.push([`Directory import, ${f.rows} contacts (SQLite)`, `${Math.round(f.rate)} rows/s`]);
}

if (only.has('webhooks')) {
  out();
  out('## 10. Webhook delivery: queued events → signed POSTs into a local receiver answering 204, vs a bare fetch loop');
  const f: WebhookFigures = await measureWebhooks(webhookEvents);
  const ratio = f.ours / f.bare;
  out(
    `${f.events} events of ${f.bodyBytes} bytes, ${f.concurrency} in flight, median of ${f.rounds} alternating rounds: ` +
      `bare fetch POST loop ${f1(f.bare)} events/s; Postroom WebhookSender (claim, HMAC, POST, mark delivered; fresh SQLite store) ${f1(f.ours)} events/s; ` +
      `ratio ours / bare ${ratio.toFixed(2)}`,
  );
  table.push([`Webhook delivery, bare fetch POST loop (${f.events} × ${f.bodyBytes} B, ${f.concurrency} in flight)`, `${f1(f.bare)} events/s`]);
  table.push(['Webhook delivery, Postroom WebhookSender → receiver (SQLite queue)', `${f1(f.ours)} events/s (ratio ${ratio.toFixed(2)})`]);
}

if (only.has('outbox')) {
  out();
  out('## 11. Outbox drain: queued answers → local SMTP sink (smtp-server), vs bare nodemailer sending the same mails');
  const f: OutboxFigures = await measureOutbox(outboxMails);
  out(
    `${f.mails} answers of ${f.bytes} bytes, median of ${f.rounds} alternating rounds: bare nodemailer sendMail loop (1 connection, one after the other) ${f1(f.loop)} mails/s; ` +
      `bare nodemailer pooled (${f.connections} connections, ${f.inFlight} in flight) ${f1(f.pooled)} mails/s; ` +
      `Postroom OutboxSender (claim, compose, send, mark sent, spool/sent copy; fresh SQLite store; same pool) ${f1(f.ours)} mails/s; ` +
      `ratio ours / pooled ${(f.ours / f.pooled).toFixed(2)}, ours / loop ${(f.ours / f.loop).toFixed(2)}`,
  );
  table.push([`Outbox, bare nodemailer loop (${f.mails} × ${f.bytes} B, 1 connection)`, `${f1(f.loop)} mails/s`]);
  table.push([`Outbox, bare nodemailer pooled (${f.connections} connections, ${f.inFlight} in flight)`, `${f1(f.pooled)} mails/s`]);
  table.push(['Outbox, Postroom OutboxSender → sink (SQLite queue)', `${f1(f.ours)} mails/s (ratio ${(f.ours / f.pooled).toFixed(2)} vs pooled, ${(f.ours / f.loop).toFixed(2)} vs loop)`]);
}

if (only.has('retention')) {
  out();
  out('## 12. Retention sweep: raw mail of final messages deleted, vs spooling the same mails');
  const corpus = generateCorpus({ count: retentionMails, seed: 7, tag: 'retention' });
  const f: RetentionFigures = await measureRetention(corpus);
  out(
    `${f.mails} mails (${f1(corpus.totalBytes / corpus.mails.length / 1024)} KB average): spooled one after the other ${f1(f.spool)} mails/s; ` +
      `swept (conditional mark, shared-bytes check, raw delete, spool/processed copy removed) ${f1(f.sweep)} mails/s; ` +
      `ratio sweep / spool ${(f.sweep / f.spool).toFixed(2)}; raw mail left after the sweep: ${f.left}`,
  );
  table.push([`Retention sweep, ${f.mails} final mails (SQLite)`, `${f1(f.sweep)} mails/s (ratio ${(f.sweep / f.spool).toFixed(2)} vs spooling them, ${f1(f.spool)} mails/s)`]);
}

if (only.has('http')) {
  out();
  out('## 13. HTTP upload intake (POST /api/v1/mail) vs SMTP intake, one `postroom start`; /metrics scrape vs the status read');
  const a = generateCorpus({ count: smtpMails, seed: 300, tag: `httpsmtp.${Date.now()}` });
  const b = generateCorpus({ count: smtpMails, seed: 301, tag: `httpup.${Date.now()}` });
  const f: HttpFigures = await measureHttpIntake(a, b, 8);
  out(
    `${f.mails} mails each, ${f.clients} concurrent clients: SMTP ${f1(f.smtpRate)} mails/s answered 250; HTTP ${f1(f.httpRate)} mails/s answered 201 (${f.httpAccepted}/${f.mails}); ` +
      `ratio HTTP / SMTP ${(f.httpRate / f.smtpRate).toFixed(2)}`,
  );
  out(`With ${2 * f.mails} messages stored: GET /metrics ${f.metricsMs.toFixed(1)} ms, GET /api/v1/status ${f.statusMs.toFixed(1)} ms (median of 3×21, alternated); ratio ${(f.metricsMs / f.statusMs).toFixed(2)}`);
  table.push([`HTTP upload intake, ${f.clients} concurrent clients`, `${f1(f.httpRate)} mails/s (ratio ${(f.httpRate / f.smtpRate).toFixed(2)} vs SMTP, ${f1(f.smtpRate)} mails/s, same engine)`]);
  table.push([`/metrics scrape with ${2 * f.mails} messages (SQLite)`, `${f.metricsMs.toFixed(1)} ms (ratio ${(f.metricsMs / f.statusMs).toFixed(2)} vs the status read alone, ${f.statusMs.toFixed(1)} ms)`]);
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
