// Sections 4 and 5: intake from a real Dovecot (IMAP and POP3) into the committed spool, each
// against a bare client reading the same mailbox contents, optionally against fetchmail handing
// every mail to `postroom ingest -`; and IMAP IDLE latency of a running `postroom start`.
import SQLite from 'better-sqlite3';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { configSchema } from '../../src/config/schema.ts';
import type { FetchContext, FetchMailbox } from '../../src/intake/connector.ts';
import { ImapConnector } from '../../src/intake/imap/imap-connector.ts';
import { Pop3Client } from '../../src/intake/pop3/pop3-client.ts';
import { Pop3Connector } from '../../src/intake/pop3/pop3-connector.ts';
import type { SpoolContext, SpooledRow } from '../../src/intake/spool-writer.ts';
import type { NewMessage, Store } from '../../src/store/store.ts';
import { ShowBehind } from '../../src/cli/spool-visibility.ts';
import { openBlobs } from '../../src/store/blobs/tiered-blobs.ts';
import { SpoolView } from '../../src/store/blobs/spool-view.ts';
import { openStore } from '../../src/store/open-store.ts';
import { deliverToMaildir, haveDovecot, startDovecot, type RunningDovecot } from '../support/dovecot.ts';
import { freePort, mainTs, startEngine, tempDir, writeConfig, type EngineProcess, stopOrKill } from '../support/engine.ts';
import type { Corpus } from './corpus.ts';

const PASSWORD = 'pw';
const silent = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export { haveDovecot, startDovecot, type RunningDovecot };

/** One timed intake run: messages (and bytes) taken from the server. */
export interface RateFigures {
  messages: number;
  bytes: number;
  seconds: number;
  /** messages per second */
  rate: number;
  /** CPU of this process (all threads) / wall time; null for a child process */
  cores: number | null;
}

async function timed(work: () => Promise<{ messages: number; bytes: number }>): Promise<RateFigures> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { messages, bytes } = await work();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { messages, bytes, seconds: ms / 1000, rate: messages / (ms / 1000), cores: (used.user + used.system) / 1000 / ms };
}

function imapClient(d: RunningDovecot, user: string): ImapFlow {
  return new ImapFlow({ host: d.host, port: d.imapPort, secure: false, doSTARTTLS: false, auth: { user, pass: PASSWORD }, logger: false });
}

function pop3Connect(d: RunningDovecot): Promise<Pop3Client> {
  return Pop3Client.connect({ host: d.host, port: d.pop3Port, tls: 'none', rejectUnauthorized: false, timeoutMs: 30_000 });
}

/**
 * RunningDovecot.addUser, then a wait past the next whole second: Dovecot's passwd-file looks at
 * the file at most once per second of its clock, so a login in the same second as the previous
 * one would not see the new user ("unknown user").
 */
export async function addUser(d: RunningDovecot, user: string): Promise<void> {
  await d.addUser(user, PASSWORD);
  await sleep(1100);
}

/**
 * A fresh Dovecot user holding `mails` in INBOX, with Dovecot's index built (an IMAP SELECT and
 * UID FETCH, then a POP3 session with UIDL), so no timed run pays for the first scan of the
 * Maildir or the POP3 sizes: every user is prepared the same way.
 */
export async function seedUser(d: RunningDovecot, user: string, mails: readonly Buffer[]): Promise<void> {
  await addUser(d, user);
  await deliverToMaildir(d, user, mails);
  const client = imapClient(d, user);
  await client.connect();
  try {
    const box = await client.mailboxOpen('INBOX');
    if (box.exists !== mails.length) throw new Error(`${user}: INBOX holds ${box.exists} messages, expected ${mails.length}`);
    for await (const m of client.fetch('1:*', { uid: true, size: true })) void m;
  } finally {
    await client.logout().catch(() => undefined);
  }
  const pop = await pop3Connect(d);
  try {
    await pop.login(user, PASSWORD);
    const list = await pop.uidl();
    if (list.length !== mails.length) throw new Error(`${user}: POP3 lists ${list.length} messages, expected ${mails.length}`);
    await pop.quit();
  } finally {
    pop.close();
  }
}

/** The baseline: bare imapflow, one `FETCH 1:* BODY.PEEK[]` of the whole INBOX, bodies discarded. */
export async function imapBaseline(d: RunningDovecot, user: string): Promise<RateFigures> {
  return timed(async () => {
    const client = imapClient(d, user);
    await client.connect();
    let messages = 0;
    let bytes = 0;
    try {
      await client.mailboxOpen('INBOX');
      for await (const m of client.fetch('1:*', { source: true })) {
        messages += 1;
        bytes += m.source?.length ?? 0;
      }
    } finally {
      await client.logout().catch(() => undefined);
    }
    return { messages, bytes };
  });
}

/** The baseline: our Pop3Client, UIDL then RETR of every message one after the other, read and discarded. */
export async function pop3Baseline(d: RunningDovecot, user: string): Promise<RateFigures> {
  return timed(async () => {
    const client = await pop3Connect(d);
    let messages = 0;
    let bytes = 0;
    try {
      await client.login(user, PASSWORD);
      for (const entry of await client.uidl()) {
        const body = await client.retrieve(entry.number);
        for await (const chunk of body) bytes += (chunk as Buffer).length;
        messages += 1;
      }
      await client.quit();
    } finally {
      client.close();
    }
    return { messages, bytes };
  });
}

export interface ConnectorFigures extends RateFigures {
  polls: number;
  /** rows in the spool after the run */
  spooled: number;
}

/**
 * Postroom's connector (constructed as `postroom start` does, afterProcessing: keep) polling
 * `user`'s INBOX into a fresh SQLite spool until no backlog is left. The spool context is the
 * engine's: the blob store of open-app (small raw mail in postroom.raw.db), the intake store connection (synchronous = FULL), the spool/incoming view written behind (ShowBehind).
 */
export async function connectorIntake(
  d: RunningDovecot,
  user: string,
  kind: 'imap' | 'pop3',
  expected: number,
  options: { commit?: boolean } = {},
): Promise<ConnectorFigures> {
  // commit: false is a diagnostic, never the figure: the spool commit answers at once and writes
  // nothing, which shows what the durable store costs on this disk.
  const commit = options.commit !== false;
  const dataDir = tempDir(`postroom-bench-${kind}-`);
  try {
    const address = `${user}@bench.example`;
    const config = configSchema.parse({
      dataDir,
      mailboxes: [
        {
          address,
          connector: kind,
          server: { host: d.host, port: kind === 'imap' ? d.imapPort : d.pop3Port, tls: false, user, password: PASSWORD, timeout: '30s' },
          afterProcessing: 'keep',
          batchSize: 10_000,
          idle: false,
          pollingInterval: '1h',
        },
      ],
    });
    const mailbox = config.mailboxes[0] as FetchMailbox;
    const store = await openStore(config.database.url, dataDir);
    const blobs = openBlobs(dataDir, store);
    const view = new SpoolView(dataDir, blobs);
    const behind = new ShowBehind({ store, log: silent, showInSpool: (id, sha, state, options) => view.show(id, sha, state, options) });
    let fakeId = 0;
    const noCommit: Store = Object.assign(Object.create(store) as Store, {
      spoolMany: async (rows: readonly NewMessage[]) => rows.map(() => ({ id: ++fakeId, duplicate: false })),
    });
    const spool: SpoolContext = {
      store: commit ? store : noCommit,
      blobs,
      maxMessageSize: Math.min(config.smtp.maxMessageSize, config.limits.messageSize),
      now: Date.now,
      // What `postroom start` does after each commit: show the rows in spool/incoming, behind intake.
      ...(commit ? { onSpooled: (rows: readonly SpooledRow[]) => behind.add(rows) } : {}),
    };
    const ctx: FetchContext = { mailbox, spool, state: store, log: silent, env: {} };
    const connector = kind === 'imap' ? new ImapConnector(ctx) : new Pop3Connector(ctx);
    let polls = 0;
    try {
      const figures = await timed(async () => {
        let messages = 0;
        for (;;) {
          const result = await connector.poll();
          polls += 1;
          messages += result.fetched;
          if (result.backlog === 0 || polls > 1000) break;
        }
        return { messages, bytes: 0 };
      });
      await connector.close();
      // The view is written behind intake (as in `postroom start`): finished after the timed run.
      await behind.drain();
      if (!commit) return { ...figures, bytes: 0, polls, spooled: 0 };
      const shown = readdirSync(join(dataDir, 'spool', 'incoming')).length;
      if (shown !== expected) process.stdout.write(`  warning: ${kind} spool/incoming shows ${shown} of ${expected} messages\n`);
      const status = await store.status();
      const spooled = Object.values(status.byState).reduce((sum, n) => sum + (n ?? 0), 0);
      if (spooled !== expected) process.stdout.write(`  warning: ${kind} connector spooled ${spooled} of ${expected} messages\n`);
      return { ...figures, bytes: await spooledBytes(dataDir), polls, spooled };
    } finally {
      await connector.close().catch(() => undefined);
      await store.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function spooledBytes(dataDir: string): Promise<number> {
  const db = new SQLite(join(dataDir, 'postroom.db'), { readonly: true });
  try {
    return Number((db.prepare('SELECT COALESCE(SUM(raw_size), 0) AS n FROM messages').get() as { n: number }).n);
  } finally {
    db.close();
  }
}

/** `fetchmail`'s path, or null when it is not installed. */
export function whichFetchmail(): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('which', ['fetchmail'], (err, stdout) => resolve(err ? null : stdout.trim() || null));
  });
}

export function fetchmailVersion(binary: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 10_000 }, (_err, stdout) => resolve(/fetchmail release (\S+)/.exec(stdout)?.[1] ?? 'unknown'));
  });
}

/**
 * fetchmail over POP3 (keep, fetchall, no TLS) handing every message to
 * `node src/main.ts -c CONFIG ingest -` as its MDA: one Postroom process per message.
 * Timed from starting fetchmail until it exits.
 */
export async function fetchmailIntake(d: RunningDovecot, binary: string, user: string, expected: number): Promise<ConnectorFigures> {
  const dir = tempDir('postroom-bench-fetchmail-');
  try {
    const dataDir = join(dir, 'data');
    const config = writeConfig(dir, [`dataDir: ${dataDir}`, 'log: { level: warn }', 'smtp: { enabled: false }', 'mailboxes: [{ address: support@localhost }]'].join('\n'));
    const rc = join(dir, 'fetchmailrc');
    const mda = `${process.execPath} ${mainTs} -c ${config} ingest -`;
    writeFileSync(
      rc,
      [
        'set no syslog',
        'set no bouncemail',
        `poll ${d.host} with protocol POP3 and port ${d.pop3Port}:`,
        `  user "${user}" there with password "${PASSWORD}"`,
        `  keep fetchall sslproto '' no sslcertck`,
        `  mda "${mda}"`,
        '',
      ].join('\n'),
    );
    chmodSync(rc, 0o600);
    let stderr = '';
    const figures = await timed(async () => {
      const child = spawn(binary, ['-f', rc, '--nodetach', '--nosyslog'], {
        cwd: dir,
        env: { ...process.env, FETCHMAILHOME: dir, HOME: dir },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60 * 60_000);
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      clearTimeout(timer);
      // 0: mail retrieved; 1: no mail; anything else is a failure worth showing.
      if (code !== 0) process.stdout.write(`  fetchmail exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}\n`);
      return { messages: 0, bytes: 0 };
    });
    let spooled = 0;
    let bytes = 0;
    if (existsSync(join(dataDir, 'postroom.db'))) {
      const db = new SQLite(join(dataDir, 'postroom.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(raw_size), 0) AS b FROM messages').get() as { n: number; b: number };
        spooled = Number(row.n);
        bytes = Number(row.b);
      } finally {
        db.close();
      }
    }
    if (spooled !== expected) process.stdout.write(`  warning: fetchmail + postroom ingest spooled ${spooled} of ${expected} messages\n`);
    return { ...figures, messages: spooled, bytes, rate: spooled / figures.seconds, cores: null, polls: 1, spooled };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface LatencyFigures {
  /** APPENDs timed (fewer than asked when the time budget ran out) */
  measured: number;
  asked: number;
  /** APPEND completion → spool row exists, ms, sorted */
  spooledMs: number[];
  /** APPEND completion → final state, ms, sorted */
  finalMs: number[];
  /** final states seen */
  states: Record<string, number>;
  /** messages not final within the per-message timeout */
  timedOut: number;
  budgetHit: boolean;
  seconds: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

const finalStates = new Set(['processed', 'failed', 'loopback', 'skipped', 'rejected']);

/**
 * A `postroom start` (default runner settings) with one IMAP mailbox, idle: true, pollingInterval
 * 1h: only IDLE can bring mail in. The messages of `corpus` are APPENDed one at a time over one
 * IMAP connection of this process; after each APPEND completes, the store is read every 10 ms
 * (a read-only SQLite connection) until the message's row exists (spooled) and until it has
 * reached a final state; then the next is APPENDed. Stops early after `budgetSeconds`.
 */
export async function idleLatency(d: RunningDovecot, corpus: Corpus, budgetSeconds: number, perMessageTimeoutMs = 60_000): Promise<LatencyFigures> {
  const user = 'idlebench';
  await addUser(d, user);
  const dir = tempDir('postroom-bench-idle-');
  let engine: EngineProcess | undefined;
  let appender: ImapFlow | undefined;
  let db: SQLite.Database | undefined;
  try {
    const port = await freePort();
    const dataDir = join(dir, 'data');
    const config = writeConfig(
      dir,
      [
        `dataDir: ${dataDir}`,
        'log: { level: info }',
        `smtp: { host: 127.0.0.1, port: ${port} }`,
        'mailboxes:',
        `  - address: ${corpus.to}`,
        '    connector: imap',
        `    server: { host: ${d.host}, port: ${d.imapPort}, tls: false, user: ${user}, password: ${PASSWORD}, timeout: 30s }`,
        '    idle: true',
        '    pollingInterval: 1h',
      ].join('\n'),
    );
    // An empty INBOX (Dovecot creates it at the first login), so the engine's first poll finds nothing.
    appender = imapClient(d, user);
    await appender.connect();
    await appender.status('INBOX', { messages: true });
    engine = await startEngine({ cwd: dir, config, port });
    const running = engine;
    // The first poll (at start) has run once its status row is written.
    db = await waitForDb(join(dataDir, 'postroom.db'), 20_000);
    const firstPoll = db.prepare('SELECT last_success_at FROM mailbox_status WHERE mailbox = ?');
    const deadline = Date.now() + 30_000;
    while (!(firstPoll.get(corpus.to) as { last_success_at: number | null } | undefined)?.last_success_at) {
      if (Date.now() > deadline) throw new Error(`the engine did not poll ${corpus.to} within 30 s:\n${running.output().slice(-2000)}`);
      await sleep(20);
    }
    const row = db.prepare('SELECT state FROM messages WHERE message_id = ?');
    const spooledMs: number[] = [];
    const finalMs: number[] = [];
    const states: Record<string, number> = {};
    let timedOut = 0;
    let budgetHit = false;
    const started = performance.now();
    for (const mail of corpus.mails) {
      if ((performance.now() - started) / 1000 > budgetSeconds) {
        budgetHit = true;
        break;
      }
      const messageId = /^Message-ID: <([^>]+)>/im.exec(mail.toString('latin1', 0, 8192))?.[1];
      if (!messageId) throw new Error('a corpus mail without Message-ID');
      await appender.append('INBOX', mail);
      const appended = performance.now();
      let spooledAt: number | null = null;
      let finalAt: number | null = null;
      while (performance.now() - appended < perMessageTimeoutMs) {
        const state = (row.get(messageId) as { state: string } | undefined)?.state;
        if (state !== undefined && spooledAt === null) spooledAt = performance.now();
        if (state !== undefined && finalStates.has(state)) {
          finalAt = performance.now();
          states[state] = (states[state] ?? 0) + 1;
          break;
        }
        await sleep(10);
      }
      if (spooledAt !== null) spooledMs.push(spooledAt - appended);
      if (finalAt === null) {
        timedOut += 1;
        break; // the engine is stuck: later figures would only measure the same wait
      }
      finalMs.push(finalAt - appended);
    }
    const seconds = (performance.now() - started) / 1000;
    spooledMs.sort((a, b) => a - b);
    finalMs.sort((a, b) => a - b);
    return { measured: finalMs.length, asked: corpus.mails.length, spooledMs, finalMs, states, timedOut, budgetHit, seconds };
  } finally {
    db?.close();
    await appender?.logout().catch(() => undefined);
    await stopOrKill(engine);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The server's own floor: a bare imapflow client SELECTs INBOX and stays in IDLE; another
 * connection APPENDs one message at a time; timed from APPEND completion to the EXISTS event.
 */
export async function idleFloor(d: RunningDovecot, mails: readonly Buffer[]): Promise<number[]> {
  const user = 'idlefloor';
  await addUser(d, user);
  const watcher = imapClient(d, user);
  const appender = imapClient(d, user);
  try {
    await appender.connect();
    await appender.status('INBOX', { messages: true });
    await watcher.connect();
    await watcher.mailboxOpen('INBOX');
    let arrived: (() => void) | null = null;
    watcher.on('exists', () => arrived?.());
    void watcher.idle().catch(() => undefined);
    await sleep(100);
    const times: number[] = [];
    for (const mail of mails) {
      const seen = new Promise<void>((resolve) => (arrived = resolve));
      await appender.append('INBOX', mail);
      const appended = performance.now();
      const timer = sleep(10_000).then(() => 'timeout' as const);
      if ((await Promise.race([seen, timer])) === 'timeout') break;
      times.push(performance.now() - appended);
    }
    return times.sort((a, b) => a - b);
  } finally {
    await watcher.logout().catch(() => undefined);
    await appender.logout().catch(() => undefined);
  }
}

async function waitForDb(file: string, ms: number): Promise<SQLite.Database> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (existsSync(file)) return new SQLite(file, { readonly: true, fileMustExist: true });
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${ms} ms`);
    await sleep(50);
  }
}

export function dovecotVersion(): Promise<string> {
  return new Promise((resolve) => {
    execFile('/usr/sbin/dovecot', ['--version'], { timeout: 10_000 }, (err, stdout) => resolve(err ? 'unknown' : stdout.trim()));
  });
}
