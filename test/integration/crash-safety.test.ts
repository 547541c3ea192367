// The must-show crash-safety test: a child `postroom start` is killed with SIGKILL at random
// points (at least 20 times) while 2,000 mails arrive over SMTP and through `postroom ingest`.
// Senders behave like an MTA: whatever got no 250 / exit 0 is sent again after a short wait.
// After a last restart every acknowledged mail must be there exactly once, processed once,
// with one record each and gap-free record numbers; SIGTERM then drains and exits 0.
// SQLite always (2,000 mails); PostgreSQL too when POSTROOM_TEST_PG_URL is set (1,000 mails, to
// keep the file's runtime sane: each scenario takes 2-4 minutes on 2 cores).
//
//   POSTROOM_CRASH_SEED=123        replay the random choices (mails' channels, ingest batches, kill times)
//   POSTROOM_CRASH_MAILS=300       fewer mails for a quick local run (both backends)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import SQLite from 'better-sqlite3';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { openBlobs } from '../../src/store/blobs/tiered-blobs.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import {
  engineConfig,
  freePort,
  freshDatabaseUrl,
  runCli,
  startEngine,
  tempDir,
  waitFor,
  writeConfig,
  type Backend,
  type EngineProcess,
} from '../support/engine.ts';
import { postgresUrlFromEnv } from '../support/postgres.ts';
import { seededRandom } from '../support/seeded-random.ts';

const MAILBOX = 'support@localhost';
const MIN_KILLS = 20;
/**
 * How long (ms) the killer lets a started engine live. Most lives are short (100-600 ms), so kills
 * land in start-up, reclaiming and the first mails; the others are long enough (1-5 s) for mail to
 * flow and for kills to land in steady intake and processing. (A restart costs 1-3 s of Node and
 * worker-thread start-up, so all-short lives would make the run take many minutes.)
 */
function lifetime(random: () => number): number {
  return random() < 0.6 ? 100 + random() * 500 : 1_000 + random() * 4_000;
}
const SMTP_SENDERS = 6;
/** `postroom ingest` children at a time; each costs a Node start (~1 CPU-second). */
const INGEST_SENDERS = 2;
/** Give up on one mail when it got no 250 / exit 0 for this long: the engine is broken, not just restarting. */
const GIVE_UP_MS = 240_000;
/** Share of the mails delivered as files through `postroom ingest`. */
const FILE_SHARE = 0.25;

/**
 * Engine children alive right now. t.after kills them when a test ends; this also covers the test
 * process itself being ended by a signal (a timeout, Ctrl-C), when t.after never runs.
 */

interface Mail {
  index: number;
  messageId: string;
  from: string;
  raw: Buffer;
  sha256: string;
  channel: 'smtp' | 'file';
  /** for file mails: where the .eml was written */
  file: string | null;
  acked: boolean;
  tries: number;
}

// Seeded (test/support/seeded-random.ts): the run's random choices replay with POSTROOM_CRASH_SEED.
const prng = seededRandom;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * An MTA's retry schedule, compressed to fit the engine's short lives: 20 ms after the first
 * failure, growing to 100 ms, with jitter.
 */
function retryDelay(failures: number): number {
  return Math.min(100, 20 * 1.5 ** (failures - 1)) * (0.75 + Math.random() / 2);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const subjectOf = (index: number, total: number): string => `crash test mail ${index} of ${total}`;
/** Every 7th mail carries an attachment, so attachment rows and blobs are written under the kills too. */
const hasAttachment = (index: number): boolean => index % 7 === 0;

/** A distinct mail; some carry 8-bit text and lines that start with a dot, so byte fidelity is tested too. */
function makeMail(
  index: number,
  total: number,
  tag: string,
): Omit<Mail, 'channel' | 'file' | 'acked' | 'tries'> {
  const messageId = `crash-${tag}-${index}@postroom.test`;
  const from = `sender${index % 37}@example.com`;
  const body = [
    `Mail ${index}.`,
    index % 3 === 0 ? 'Grüße aus dem Postraum, 8-bit.' : 'Plain ASCII line.',
    index % 5 === 0 ? '.a line that starts with a dot (dot-stuffed over SMTP)' : 'no dot here',
    '.',
    `end of mail ${index}`,
  ];
  const textHeaders = [
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${index % 3 === 0 ? '8bit' : '7bit'}`,
  ];
  const boundary = `----=_crash_${index}`;
  const lines = [
    `Message-ID: <${messageId}>`,
    `Date: ${new Date(Date.UTC(2025, 0, 1, 0, 0, index)).toUTCString().replace('GMT', '+0000')}`,
    `From: Sender ${index % 37} <${from}>`,
    `To: ${MAILBOX}`,
    `Subject: ${subjectOf(index, total)}`,
    'MIME-Version: 1.0',
    ...(hasAttachment(index)
      ? [
          `Content-Type: multipart/mixed; boundary="${boundary}"`,
          '',
          `--${boundary}`,
          ...textHeaders,
          '',
          ...body,
          `--${boundary}`,
          `Content-Type: text/plain; name="note-${index}.txt"`,
          `Content-Disposition: attachment; filename="note-${index}.txt"`,
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from(`attachment of mail ${index}\n`.repeat(20))
            .toString('base64')
            .replace(/.{76}/g, '$&\r\n'),
          `--${boundary}--`,
        ]
      : [...textHeaders, '', ...body]),
    '',
  ];
  const raw = Buffer.from(lines.join('\r\n'), 'utf8');
  return { index, messageId, from, raw, sha256: sha256(raw) };
}

/** The test config: engineConfig with a short lease so reclaiming after a kill is quick. */
function crashConfig(dataDir: string, url: string, port: number): string {
  const base = engineConfig({ dataDir, url, port })
    .split('\n')
    .filter((line) => !line.startsWith('runner:'));
  return [
    ...base,
    // Kills here come every 0.1-5 s, far more often than any real crash: a message in flight at
    // six kills in a row would be quarantined by runner.maxAttempts (5), which is that limit
    // working, not a loss. Loss and doubling are under test, so the limit is set above the streaks.
    'runner: { pollInterval: 50ms, leaseSeconds: 3s, maxAttempts: 12, backoff: { base: 1s, max: 5s } }',
    // 2,000 mails from 37 senders in a few minutes would be a storm to loopback detection, which is not under test here.
    `mailboxes: [{ address: ${MAILBOX}, loopbackDetectionInterval: 0 }]`,
    '',
  ].join('\n');
}

/** Read-only SQL against the engine's database, for what the Store interface does not offer. */
async function query(
  backend: Backend,
  url: string,
  dataDir: string,
  text: string,
): Promise<Record<string, unknown>[]> {
  if (backend === 'sqlite') {
    const db = new SQLite(join(dataDir, 'postroom.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(text).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}

/** Lines the engines logged at level error or above, or about quarantine, for failure messages. */
function troubleLines(logs: readonly string[]): string[] {
  const out: string[] = [];
  for (const log of logs) {
    for (const line of log.split('\n')) {
      if (/"level":(5\d|60)/.test(line) || /quarantin|lease lost|could not/i.test(line)) out.push(line);
    }
  }
  return out;
}

async function crashScenario(t: TestContext, backend: Backend, total: number): Promise<void> {
  const seed = Number(process.env['POSTROOM_CRASH_SEED'] ?? Date.now() % 2 ** 31);
  const random = prng(seed);
  const started = Date.now();
  const dir = tempDir(`postroom-crash-${backend}-`);
  const dataDir = join(dir, 'data');
  const mailDir = join(dir, 'outbox');
  mkdirSync(mailDir, { recursive: true });
  const url = await freshDatabaseUrl(backend);
  const port = await freePort();
  const config = writeConfig(dir, crashConfig(dataDir, url, port));
  // Dozens of engine starts and ingest runs: let them share compiled code (only speeds up Node's start).
  const env = { NODE_COMPILE_CACHE: join(dir, 'node-compile-cache') };

  let engine: EngineProcess | null = null;
  const logs: string[] = [];
  let store: Store | null = null;
  let passed = false;
  t.after(async () => {
    // Whatever happened: no engine child outlives the test.
    await engine?.kill();
    await store?.close().catch(() => undefined);
    if (passed) rmSync(dir, { recursive: true, force: true });
    else t.diagnostic(`crash-safety[${backend}] failed with seed ${seed}; data kept in ${dir}`);
  });

  // The mails: ~3/4 over SMTP, ~1/4 as .eml files, handed to `postroom ingest` alone (FILE) or in
  // small folders (DIR), so the number of Node children stays within the time budget.
  const tag = `${backend}-${seed}`;
  const mails: Mail[] = [];
  for (let i = 1; i <= total; i++) {
    mails.push({
      ...makeMail(i, total, tag),
      channel: random() < FILE_SHARE ? 'file' : 'smtp',
      file: null,
      acked: false,
      tries: 0,
    });
  }
  const smtpMails = mails.filter((m) => m.channel === 'smtp');
  const fileMails = mails.filter((m) => m.channel === 'file');
  const ingestJobs: { target: string; mails: Mail[] }[] = [];
  for (let i = 0; i < fileMails.length;) {
    const size = random() < 0.2 ? 1 : 5 + Math.floor(random() * 16);
    const batch = fileMails.slice(i, i + size);
    i += batch.length;
    if (batch.length === 1 && batch[0]) {
      const file = join(mailDir, `single-${batch[0].index}.eml`);
      writeFileSync(file, batch[0].raw);
      batch[0].file = file;
      ingestJobs.push({ target: file, mails: batch });
    } else {
      const folder = join(mailDir, `batch-${ingestJobs.length}`);
      mkdirSync(folder);
      for (const m of batch) {
        m.file = join(folder, `${m.index}.eml`);
        writeFileSync(m.file, m.raw);
      }
      ingestJobs.push({ target: folder, mails: batch });
    }
  }

  const stats = {
    kills: 0,
    smtpTries: 0,
    smtpResends: 0,
    ingestRuns: 0,
    ingestResends: 0,
    ingestResentMails: 0,
  };
  let failure: Error | null = null;
  const fail = (err: unknown): void => {
    failure ??= err instanceof Error ? err : new Error(String(err));
  };
  // A timed-out test is not cancelled by node:test; stop sending, killing and restarting.
  t.signal.addEventListener('abort', () => fail(new Error('test aborted (timeout?)')), { once: true });

  /** Starts an engine child (startEngine kills it if the test process ends). */
  const launch = async (): Promise<EngineProcess> => {
    let started: EngineProcess;
    try {
      started = await startEngine({ cwd: dir, config, port, env });
    } catch (err) {
      // startEngine does not kill a child that failed to start in time; its log names its pid.
      for (const [, pid] of String((err as Error).message).matchAll(/"pid":(\d+)/g)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      throw err;
    }
    return started;
  };
  engine = await launch();

  // Both channels advance together, so mail of each kind arrives over the whole run: a sender
  // waits while its channel is more than 10% ahead of the other one.
  const acked = { smtp: 0, file: 0 };
  const share = (channel: 'smtp' | 'file'): number =>
    acked[channel] / Math.max(1, channel === 'smtp' ? smtpMails.length : fileMails.length);
  const pace = async (channel: 'smtp' | 'file'): Promise<void> => {
    const other = channel === 'smtp' ? 'file' : 'smtp';
    while (failure === null && share(other) < 1 && share(channel) > share(other) + 0.1) await sleep(20);
  };

  // SMTP senders, as relaying MTAs: half keep their connection for the next mail (connection
  // caching), half open one per mail. A refused or dropped connection, or a 4xx, means retry.
  let nextSmtp = 0;
  const smtpSender = async (reuse: boolean): Promise<void> => {
    const options = {
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      connectionTimeout: 5_000,
      greetingTimeout: 5_000,
      socketTimeout: 15_000,
    };
    const connect = () =>
      reuse
        ? nodemailer.createTransport({ ...options, pool: true, maxConnections: 1, maxMessages: Infinity })
        : nodemailer.createTransport(options);
    let transport = connect();
    try {
      while (failure === null) {
        const mail = smtpMails[nextSmtp++];
        if (!mail) return;
        await pace('smtp');
        const since = Date.now();
        while (failure === null && !mail.acked) {
          if (Date.now() - since > GIVE_UP_MS)
            throw new Error(`mail ${mail.index}: no 250 after ${mail.tries} tries over SMTP`);
          if (mail.tries > 0) {
            stats.smtpResends += 1;
            await sleep(retryDelay(mail.tries));
          }
          mail.tries += 1;
          stats.smtpTries += 1;
          try {
            const info = await transport.sendMail({
              envelope: { from: mail.from, to: [MAILBOX] },
              raw: mail.raw,
            });
            if (/^250[ -]/.test(info.response)) mail.acked = true;
          } catch (err) {
            const code = (err as { responseCode?: number }).responseCode;
            // 5xx is a bounce: the engine refused the mail for good, which it never should here.
            if (code !== undefined && code >= 500)
              throw new Error(`mail ${mail.index}: permanent SMTP failure: ${(err as Error).message}`);
            transport.close();
            transport = connect();
          }
          if (!reuse) {
            transport.close();
            transport = connect();
          }
        }
        if (mail.acked) acked.smtp += 1;
      }
    } finally {
      transport.close();
    }
  };

  // File deliveries: `postroom ingest FILE|DIR` children, as Postfix pipe or fetchmail would run
  // them. Exit 0 acknowledges the whole job; 75 (EX_TEMPFAIL) means run it again later.
  let nextIngest = 0;
  const ingestSender = async (): Promise<void> => {
    while (failure === null) {
      const job = ingestJobs[nextIngest++];
      if (!job) return;
      await pace('file');
      const since = Date.now();
      for (let tries = 0; failure === null; tries++) {
        if (Date.now() - since > GIVE_UP_MS)
          throw new Error(`ingest ${job.target}: no exit 0 after ${tries} runs`);
        if (tries > 0) {
          stats.ingestResends += 1;
          stats.ingestResentMails += job.mails.length;
          await sleep(retryDelay(tries));
        }
        stats.ingestRuns += 1;
        for (const m of job.mails) m.tries += 1;
        const result = await runCli(['-c', config, 'ingest', job.target], { cwd: dir, env });
        if (result.code === 0) {
          for (const m of job.mails) m.acked = true;
          acked.file += job.mails.length;
          break;
        }
        // Anything but 75 is a verdict an MTA would bounce on, which it never should be here.
        if (result.code !== 75)
          throw new Error(`ingest ${job.target} exited ${result.code}: ${result.stderr}`);
      }
    }
  };

  const guard = (work: Promise<void>): Promise<void> => work.catch(fail);
  let sending = true;
  const senders = Promise.all([
    ...Array.from({ length: SMTP_SENDERS }, (_, i) => guard(smtpSender(i % 2 === 0))),
    ...Array.from({ length: INGEST_SENDERS }, () => guard(ingestSender())),
  ]).finally(() => {
    sending = false;
  });

  // The killer: SIGKILL at random points and start again on the same port and config, while mail
  // arrives and (if the senders finish first) while the backlog is processed, until MIN_KILLS.
  const killer = guard(
    (async () => {
      while (failure === null && (sending || stats.kills < MIN_KILLS)) {
        await sleep(lifetime(random));
        if (failure !== null || engine === null) break;
        await engine.kill();
        logs.push(engine.output());
        stats.kills += 1;
        engine = null;
        engine = await launch();
      }
    })(),
  );
  await Promise.all([senders, killer]);
  const sendingDone = Date.now();
  if (failure !== null) throw failure;
  assert.ok(stats.kills >= MIN_KILLS, `only ${stats.kills} kills`);
  assert.equal(mails.filter((m) => !m.acked).length, 0, 'every mail was acknowledged in the end');

  // A last restart (the engine the killer left may be mid-anything), then wait for the queue to empty.
  if (engine !== null) {
    await engine.kill();
    logs.push(engine.output());
    engine = null;
  }
  engine = await launch();
  store = await openStore(url, dataDir);
  const openStates = ['queued', 'processing', 'deferred'] as const;
  let last = await store.status();
  try {
    await waitFor(
      async () => {
        last = await (store as Store).status();
        return openStates.every((s) => (last.byState[s] ?? 0) === 0);
      },
      120_000,
      'the queue to drain after the final restart',
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; status: ${JSON.stringify(last.byState)}\n${troubleLines([...logs, engine.output()]).join('\n')}`,
    );
  }
  const finalLog = engine.output();
  const stopping = engine;
  let stopTimer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    stopping.stop(),
    new Promise<never>((_, reject) => {
      stopTimer = setTimeout(
        () =>
          reject(
            new Error(`engine did not exit within 60 s of SIGTERM; log:\n${stopping.output().slice(-4000)}`),
          ),
        60_000,
      );
    }),
  ]).finally(() => clearTimeout(stopTimer));
  logs.push(engine.output());
  engine = null;
  assert.equal(code, 0, `SIGTERM should drain and exit 0; engine log:\n${finalLog.slice(-4000)}`);
  const drained = Date.now();

  // What arrived: one message row per distinct mail, every acknowledged Message-ID, all processed.
  const trouble = troubleLines(logs);
  const messages = await store.listMessages({ limit: total * 2 + 100 });
  const byMessageId = new Map<string, typeof messages>();
  for (const m of messages) {
    const key = m.messageId ?? `(none: row ${m.id})`;
    byMessageId.set(key, [...(byMessageId.get(key) ?? []), m]);
  }
  const doubled = [...byMessageId].filter(([, rows]) => rows.length > 1).map(([id]) => id);
  assert.deepEqual(doubled, [], 'no mail is stored twice');
  const missing = mails.filter((m) => m.acked && !byMessageId.has(m.messageId)).map((m) => m.index);
  assert.deepEqual(missing, [], 'every acknowledged mail is stored');
  assert.equal(messages.length, total, 'one message row per distinct mail');
  const notProcessed = messages
    .filter((m) => m.state !== 'processed')
    .map((m) => `${m.id}:${m.state}:${m.errorCode ?? ''}:${m.error ?? ''}`);
  assert.deepEqual(notProcessed, [], `every message is processed\n${trouble.slice(0, 40).join('\n')}`);

  // The exact bytes: every row's hash equals what was sent, and a sample read back from storage.
  const sent = new Map(mails.map((m) => [m.messageId, m]));
  const wrongBytes = messages
    .filter((m) => sent.get(m.messageId ?? '')?.sha256 !== m.rawSha256)
    .map((m) => m.messageId);
  assert.deepEqual(wrongBytes, [], 'raw bytes stored equal the bytes sent (sha256)');
  for (let i = 0; i < 50; i++) {
    const m = messages[Math.floor(random() * messages.length)];
    if (!m) continue;
    const sentMail = sent.get(m.messageId ?? '');
    const onDisk = await buffer(openBlobs(dataDir, store).open(m.rawSha256));
    assert.ok(
      sentMail && onDisk.equals(sentMail.raw),
      `blob of message ${m.id} (${sentMail?.channel}) equals the sent bytes`,
    );
  }
  const bySource = {
    smtp: messages.filter((m) => m.source === 'smtp').length,
    file: messages.filter((m) => m.source === 'file').length,
  };
  assert.deepEqual(
    bySource,
    { smtp: smtpMails.length, file: fileMails.length },
    'each mail arrived through its own channel',
  );

  // What was made of it: one record per mail, each with exactly one `created` entry, numbered
  // CASE0000001..CASE<total> without gaps or doubles, and each message pointing at its own record.
  const records = await store.listRecords(total * 2 + 100);
  assert.equal(records.length, total, 'records = distinct mails');
  const numbers = records.map((r) => r.number).sort();
  const expected = Array.from({ length: total }, (_, i) => `CASE${String(i + 1).padStart(7, '0')}`);
  assert.deepEqual(numbers, expected, 'record numbers are gap-free and unique');
  const entries = await query(
    backend,
    url,
    dataDir,
    `SELECT r.id AS record_id, COUNT(e.id) AS entries, SUM(CASE WHEN e.kind = 'created' THEN 1 ELSE 0 END) AS created, MIN(e.message_ref) AS message_ref
       FROM records r LEFT JOIN record_entries e ON e.record_id = r.id GROUP BY r.id`,
  );
  const badEntries = entries.filter((e) => Number(e['entries']) !== 1 || Number(e['created']) !== 1);
  assert.deepEqual(badEntries, [], 'each record has exactly one entry, and it is `created`');
  const entryOf = new Map(entries.map((e) => [Number(e['message_ref']), Number(e['record_id'])]));
  const misLinked = messages
    .filter((m) => m.recordId === null || entryOf.get(m.id) !== m.recordId)
    .map((m) => m.id);
  assert.deepEqual(misLinked, [], "each message's record is the one its entry created");
  const subjects = records.map((r) => r.subject).sort();
  assert.deepEqual(
    subjects,
    mails.map((m) => subjectOf(m.index, total)).sort(),
    'one record per mail, by subject',
  );
  const attachmentRows = await query(
    backend,
    url,
    dataDir,
    'SELECT message_ref, COUNT(*) AS n FROM attachments GROUP BY message_ref',
  );
  const withAttachment = new Set(mails.filter((m) => hasAttachment(m.index)).map((m) => m.messageId));
  const messageIdOf = new Map(messages.map((m) => [m.id, m.messageId]));
  assert.deepEqual(
    attachmentRows.map((r) => [messageIdOf.get(Number(r['message_ref'])), Number(r['n'])]).sort(),
    [...withAttachment].map((id) => [id, 1]).sort(),
    'each attachment is stored once, on its own message',
  );
  const [counter] = await query(
    backend,
    url,
    dataDir,
    `SELECT last FROM record_counters WHERE type = 'CASE'`,
  );
  assert.equal(
    Number(counter?.['last']),
    total,
    'the record counter stopped at the last number (no burnt numbers)',
  );

  // Resent mail was counted as duplicate deliveries, not stored again; only resends can make them.
  const [deliveries] = await query(backend, url, dataDir, 'SELECT COUNT(*) AS n FROM deliveries');
  const status = await store.status();
  const duplicates = Number(deliveries?.['n']) - total;
  assert.equal(status.duplicates, duplicates, 'duplicates counted on the rows = extra delivery log entries');
  assert.ok(
    duplicates <= stats.smtpResends + stats.ingestResentMails,
    'no duplicate delivery without a resend',
  );

  // Shown: how often a message was claimed (kills while it was in flight) and temp files of blob
  // writes cut short by a kill; asserted: the admin's spool folder view.
  const maxClaims = Math.max(...messages.map((m) => m.attempts));
  const listEml = (folder: string): string[] => {
    try {
      return readdirSync(join(dataDir, 'spool', folder)).filter((f) => f.endsWith('.eml'));
    } catch {
      return [];
    }
  };
  const incoming = listEml('incoming');
  const processedFiles = new Set(listEml('processed'));
  const view = { incoming: incoming.length, processed: processedFiles.size };
  const leftovers = readdirSync(join(dataDir, 'tmp')).length;
  await t.test('the spool folder view matches the database after the kills', () => {
    const notShown = messages.filter((m) => !processedFiles.has(`${m.id}.eml`)).map((m) => m.id);
    assert.deepEqual({ incoming, notShown }, { incoming: [], notShown: [] });
  });

  passed = true;
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
  const summary =
    `crash-safety[${backend}]: seed ${seed}, ${total} mails (${smtpMails.length} SMTP, ${fileMails.length} in ${ingestJobs.length} ingest jobs), ` +
    `${stats.kills} kills, ${stats.smtpResends + stats.ingestResentMails} resends (${stats.smtpResends} of ${stats.smtpTries} SMTP tries, ` +
    `${stats.ingestResends} of ${stats.ingestRuns} ingest runs), ${duplicates} duplicate deliveries, ` +
    `at most ${maxClaims} claims of one message, spool view ${view.incoming} incoming/${view.processed} processed, ${leftovers} temp files left, ` +
    `${trouble.length} error/warn lines, test process ${seconds((process.cpuUsage().user + process.cpuUsage().system) / 1000)} CPU, duration ${seconds(drained - started)} (sending ${seconds(sendingDone - started)}, final drain ${seconds(drained - sendingDone)})`;
  t.diagnostic(summary);
  console.log(summary);
}

const mailCount = (fallback: number): number => Number(process.env['POSTROOM_CRASH_MAILS'] ?? fallback);

test(
  'crash safety on SQLite: SIGKILLs while 2,000 mails arrive lose and double nothing',
  { timeout: 600_000 },
  async (t) => {
    await crashScenario(t, 'sqlite', mailCount(2000));
  },
);

test(
  'crash safety on PostgreSQL: SIGKILLs while 1,000 mails arrive lose and double nothing',
  { timeout: 600_000 },
  async (t) => {
    if (postgresUrlFromEnv() === undefined) {
      t.skip('POSTROOM_TEST_PG_URL not set (run with bash test/run.sh)');
      return;
    }
    await crashScenario(t, 'postgres', mailCount(1000));
  },
);
