// The connectors' must-show under faults: 2,000 mails fetched over POP3 (afterProcessing: delete)
// and 2,000 over IMAP (afterProcessing: { move: Processed }) from a real Dovecot while
//   - a TCP proxy between the engine and Dovecot cuts both sockets in the middle of a RETR / FETCH
//     answer (after N bytes of it, N drawn at random), several times on each protocol,
//   - Dovecot is stopped and restarted while a batch is being fetched, and
//   - `postroom start` is SIGKILLed at random points (at least 20 times) and started again.
// Kills run first (20, at seeded intervals, while mail is still being fetched on a 2-core machine);
// cuts go on until every mail is spooled; the restart comes at a seeded 20-45% of the mail.
// Afterwards (no more faults, one clean engine): every mail exactly once, with its exact bytes,
// processed, one record each; the POP3 Maildir empty, IMAP INBOX empty and Processed holding
// exactly the 2,000 (Dovecot offers MOVE, so no copy can be left behind by a crash).
//
//   POSTROOM_FAULT_SEED=123     replay the random choices (cut points, kill times, restart point)
//   POSTROOM_FAULT_MAILS=300    mails per mailbox (default 2,000, as the issue asks)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import {
  appendViaImap,
  deliverToMaildir,
  haveDovecot,
  startDovecot,
  type RunningDovecot,
} from '../support/dovecot.ts';
import {
  engineConfig,
  freePort,
  startEngine,
  tempDir,
  waitFor,
  writeConfig,
  type EngineProcess,
} from '../support/engine.ts';
import { seededRandom } from '../support/seeded-random.ts';

const POP_BOX = 'pop@example.com';
const IMAP_BOX = 'imap@example.com';
const MIN_KILLS = 20;
/** Every LARGE_EVERY-th mail is LARGE_SIZE bytes, so cuts land inside multi-chunk transfers too. */
const LARGE_EVERY = 20;
const LARGE_SIZE = 200 * 1024;
/** imapflow downloads in FETCH BODY.PEEK[]<start.65536> windows: an IMAP answer holds at most this much body. */
const IMAP_WINDOW = 64 * 1024;

// Seeded (test/support/seeded-random.ts): the run's random choices replay with POSTROOM_FAULT_SEED.
const prng = seededRandom;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

interface Mail {
  subject: string;
  raw: Buffer;
  sha256: string;
}

/**
 * A distinct mail of 1.5-4 KB, or LARGE_SIZE for every LARGE_EVERY-th one. Some lines start with
 * a dot and some are a lone dot, so POP3 byte-stuffing is under the cuts too.
 */
function makeMail(kind: 'pop3' | 'imap', index: number, total: number, tag: string): Mail {
  const subject = `fault ${kind} mail ${index} of ${total}`;
  const large = index % LARGE_EVERY === 7;
  const lines = [
    `Message-ID: <fault-${kind}-${index}-${tag}@postroom.test>`,
    `Date: ${new Date(Date.UTC(2025, 0, 1, 0, 0, index)).toUTCString().replace('GMT', '+0000')}`,
    `From: Sender ${index % 41} <sender${index % 41}@example.com>`,
    `To: ${kind === 'pop3' ? POP_BOX : IMAP_BOX}`,
    `Subject: ${subject}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
  ];
  const target = large ? LARGE_SIZE : 1500 + ((index * 7919) % 2500);
  let size = lines.join('\r\n').length;
  for (let n = 0; size < target; n++) {
    const line =
      n % 9 === 4
        ? '.a line that starts with a dot (byte-stuffed over POP3)'
        : n % 13 === 6
          ? '.'
          : `line ${n} of ${kind} mail ${index}: ${'the quick brown fox jumps over the lazy dog '.slice(0, 20 + ((index + n) % 24))}`;
    lines.push(line);
    size += line.length + 2;
  }
  lines.push(`end of ${kind} mail ${index}`, '');
  const raw = Buffer.from(lines.join('\r\n'), 'ascii');
  return { subject, raw, sha256: sha256(raw) };
}

interface Cut {
  protocol: 'pop3' | 'imap';
  /** the client's command whose answer was cut */
  command: string;
  /** bytes of the answer forwarded before both sockets were destroyed */
  after: number;
  at: number;
}

interface Session {
  client: Socket;
  upstream: Socket;
  /** the RETR / FETCH-body command being answered, or null */
  transfer: string | null;
  /** bytes of that answer forwarded so far */
  sent: number;
  lastTransferAt: number;
  cut: boolean;
  closed: boolean;
}

/**
 * A TCP proxy in front of one Dovecot port. It forwards bytes both ways and, when armed with N,
 * destroys both sockets of the next session whose RETR / FETCH-body answer reaches N bytes: the
 * first N bytes go to the client, the rest never does, so the cut is always inside the answer.
 */
class FaultProxy {
  readonly protocol: 'pop3' | 'imap';
  port = 0;
  armed: number | null = null;
  readonly cuts: Cut[] = [];
  sessions = 0;
  upstreamRefused = 0;
  private readonly upstreamPort: number;
  private readonly transferCommand: RegExp;
  private readonly open = new Set<Session>();
  private readonly server: Server;

  constructor(protocol: 'pop3' | 'imap', upstreamPort: number) {
    this.protocol = protocol;
    this.upstreamPort = upstreamPort;
    this.transferCommand = protocol === 'pop3' ? /^RETR \d+/im : /\bFETCH\b[^\r\n]*\bBODY(?:\.PEEK)?\[\]/i;
    this.server = createServer((client) => this.accept(client));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  /** Sessions open right now. */
  openSessions(): number {
    return this.open.size;
  }

  /** True when a session forwarded RETR / FETCH-body bytes within the last `ms`: a batch is under way. */
  transferring(ms: number): boolean {
    const since = Date.now() - ms;
    return [...this.open].some((s) => !s.closed && s.transfer !== null && s.lastTransferAt >= since);
  }

  async close(): Promise<void> {
    for (const s of this.open) {
      s.client.destroy();
      s.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.sessions += 1;
    const upstream = connect({ host: '127.0.0.1', port: this.upstreamPort });
    const s: Session = {
      client,
      upstream,
      transfer: null,
      sent: 0,
      lastTransferAt: 0,
      cut: false,
      closed: false,
    };
    this.open.add(s);
    let connected = false;
    upstream.once('connect', () => (connected = true));
    const end = (): void => {
      if (s.closed) return;
      s.closed = true;
      if (!connected) this.upstreamRefused += 1; // Dovecot down (restarting): the client sees a closed connection
      client.destroy();
      upstream.destroy();
      this.open.delete(s);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.on('data', (chunk: Buffer) => {
      if (s.cut) return;
      const text = chunk.toString('latin1');
      const match = this.transferCommand.exec(text);
      // Any other command ends the transfer: its answer (DELE, MOVE, ...) is not counted.
      s.transfer = match ? (text.split('\r\n')[0] ?? text).slice(0, 120) : null;
      s.sent = 0;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (s.cut) return;
      if (s.transfer !== null) {
        s.lastTransferAt = Date.now();
        const limit = this.armed;
        if (limit !== null && s.sent + chunk.length > limit) {
          this.armed = null;
          s.cut = true;
          upstream.pause();
          this.cuts.push({ protocol: this.protocol, command: s.transfer, after: limit, at: Date.now() });
          // Forward the first part of the answer, then drop both sides.
          client.write(chunk.subarray(0, limit - s.sent), () => end());
          return;
        }
        s.sent += chunk.length;
      }
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
  }
}

/** Lines the engines logged at level error or above, for failure messages. */
function troubleLines(logs: readonly string[]): string[] {
  return logs.flatMap((log) => log.split('\n').filter((line) => /"level":(5\d|60)/.test(line)));
}

/** The error lines grouped by message, for the summary: `msg: err` ×count. */
function troubleSummary(logs: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const line of troubleLines(logs)) {
    let key = line.slice(0, 120);
    try {
      const o = JSON.parse(line) as { msg?: string; err?: unknown };
      key = `${o.msg ?? ''}: ${String(typeof o.err === 'object' && o.err !== null ? JSON.stringify(o.err) : o.err).slice(0, 80)}`;
    } catch {
      // not JSON: keep the raw start
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} x${n}`).join('; ');
}

async function imapCount(d: RunningDovecot, user: string, folder: string): Promise<number> {
  const client = new ImapFlow({
    host: d.host,
    port: d.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: 'pw' },
    logger: false,
  });
  await client.connect();
  try {
    const status = await client.status(folder, { messages: true });
    return status === false ? -1 : (status.messages ?? 0);
  } finally {
    await client.logout().catch(() => undefined);
  }
}

function maildirCount(d: RunningDovecot, user: string): number {
  const dir = d.mailDir(user);
  return readdirSync(join(dir, 'new')).length + readdirSync(join(dir, 'cur')).length;
}

const perMailbox = Number(process.env['POSTROOM_FAULT_MAILS'] ?? 2000);

test(
  `faults: proxy cuts mid-RETR/FETCH, a Dovecot restart mid-batch and ${MIN_KILLS}+ SIGKILLs during ${perMailbox} POP3 + ${perMailbox} IMAP mails lose and double nothing`,
  {
    timeout: 600_000,
    skip: (await haveDovecot()) ? false : 'Dovecot is not installed (npm test installs it)',
  },
  async (t) => {
    const seed = Number(process.env['POSTROOM_FAULT_SEED'] ?? Date.now() % 2 ** 31);
    // One stream per actor, so their choices do not depend on how their turns interleave.
    const killRandom = prng(seed);
    const cutRandom = prng(seed + 1);
    const restartRandom = prng(seed + 2);
    const total = perMailbox * 2;
    const started = Date.now();
    const dir = tempDir('postroom-faults-');
    const dataDir = join(dir, 'data');
    const env = { NODE_COMPILE_CACHE: join(dir, 'node-compile-cache') };

    let dovecot: RunningDovecot | null = null;
    let engine: EngineProcess | null = null;
    let store: Store | null = null;
    const proxies: FaultProxy[] = [];
    const logs: string[] = [];
    let passed = false;
    let fetching = true; // the progress watcher runs while true
    t.after(async () => {
      fetching = false;
      await engine?.kill();
      await store?.close().catch(() => undefined);
      for (const p of proxies) await p.close();
      await dovecot?.stop();
      if (passed) rmSync(dir, { recursive: true, force: true });
      else t.diagnostic(`connector-faults failed with seed ${seed}; data kept in ${dir}`);
    });

    // The servers: Dovecot, and a fault proxy in front of its plain POP3 and IMAP ports.
    dovecot = await startDovecot();
    await dovecot.addUser('popuser', 'pw');
    await dovecot.addUser('imapuser', 'pw');
    const pop3Proxy = new FaultProxy('pop3', dovecot.pop3Port);
    const imapProxy = new FaultProxy('imap', dovecot.imapPort);
    proxies.push(pop3Proxy, imapProxy);
    await pop3Proxy.listen();
    await imapProxy.listen();

    // The mail, all on the servers before the engine starts.
    const tag = String(seed);
    const popMails = Array.from({ length: perMailbox }, (_, i) => makeMail('pop3', i + 1, perMailbox, tag));
    const imapMails = Array.from({ length: perMailbox }, (_, i) => makeMail('imap', i + 1, perMailbox, tag));
    await deliverToMaildir(
      dovecot,
      'popuser',
      popMails.map((m) => m.raw),
    );
    await deliverToMaildir(
      dovecot,
      'imapuser',
      imapMails.map((m) => m.raw),
    );
    await appendViaImap(dovecot, 'imapuser', 'pw', [], 'Processed'); // creates the folder
    const delivered = Date.now();

    const server = (port: number, user: string): string =>
      `    server: { host: 127.0.0.1, port: ${port}, tls: false, user: ${user}, password: pw, timeout: 10s }`;
    const base = engineConfig({ dataDir, url: '', port: await freePort() })
      .split('\n')
      .filter((line) => !line.startsWith('runner:'));
    const config = writeConfig(
      dir,
      [
        ...base,
        // Kills every second or two while mail arrives catch some messages mid-processing again and
        // again; the default 5 attempts would quarantine one as attempts_exhausted, which is that
        // limit working, not a loss. As in the crash-safety test, 12 keeps it out of the way.
        'runner: { pollInterval: 50ms, leaseSeconds: 3s, backoff: { base: 200ms, max: 1s }, maxAttempts: 12 }',
        'mailboxes:',
        `  - address: ${POP_BOX}`,
        '    connector: pop3',
        server(pop3Proxy.port, 'popuser'),
        '    afterProcessing: delete',
        '    pollingInterval: 1s',
        '    batchSize: 50',
        // 2000 mails from 41 senders in minutes would be a storm to loopback detection; it is not under test here.
        '    loopbackDetectionInterval: 0',
        `  - address: ${IMAP_BOX}`,
        '    connector: imap',
        server(imapProxy.port, 'imapuser'),
        '    afterProcessing: { move: Processed }',
        '    pollingInterval: 1s',
        '    batchSize: 50',
        '    loopbackDetectionInterval: 0',
        '',
      ].join('\n'),
    );

    let failure: Error | null = null;
    const fail = (err: unknown): void => {
      failure ??= err instanceof Error ? err : new Error(String(err));
    };
    t.signal.addEventListener('abort', () => fail(new Error('test aborted (timeout?)')), { once: true });

    const launch = async (): Promise<EngineProcess> => {
      let child: EngineProcess;
      try {
        child = await startEngine({ cwd: dir, config, port: 0, env });
      } catch (err) {
        // startEngine kills a child that did not start in time; one that exited is gone anyway.
        throw new Error(`engine did not start: ${(err as Error).message.slice(0, 4000)}`, { cause: err });
      }
      return child;
    };
    engine = await launch();
    store = await openStore('', dataDir);
    const db = store;

    /** Messages spooled so far (any state), per mailbox. */
    const spooled = async (): Promise<{ pop: number; imap: number }> => {
      const { byMailbox } = await db.status();
      const sum = (box: string): number =>
        Object.values(byMailbox[box] ?? {}).reduce((a, b) => a + (b ?? 0), 0);
      return { pop: sum(POP_BOX), imap: sum(IMAP_BOX) };
    };
    const stats = {
      kills: 0,
      killsWithBacklog: 0,
      killsMidTransfer: 0,
      killsDoneAt: 0,
      restartAt: -1,
      sessionsAtRestart: 0,
      restartMs: 0,
      allSpooledAt: 0,
    };
    let progress = { pop: 0, imap: 0 };
    const backlogLeft = (): boolean => progress.pop + progress.imap < total;
    const watcher = (async () => {
      while (fetching) {
        progress = await spooled().catch(() => progress);
        if (stats.allSpooledAt === 0 && !backlogLeft()) stats.allSpooledAt = Date.now();
        await sleep(200);
      }
    })();

    let killing = true;
    /** Cuts and the Dovecot restart go on while mail is on the servers, also after the last kill. */
    const faulting = (): boolean => failure === null && (killing || backlogLeft());

    // The killer: SIGKILL at seeded random points and start again, MIN_KILLS times. Short lives
    // land in start-up and in the wait for the dead engine's mailbox lease (3 s), long ones in the
    // middle of batches. The engine it starts last is the one that finishes the run.
    const killer = (async () => {
      while (failure === null && stats.kills < MIN_KILLS) {
        // While mail is on the servers lives are short (intake fetches in groups and would drain
        // the mailboxes between two kills); after that, longer ones reach the middle of processing.
        const short = killRandom() < 0.35;
        await sleep(short ? 100 + killRandom() * 900 : backlogLeft() ? 800 + killRandom() * 1_700 : 2_000 + killRandom() * 5_000);
        if (failure !== null || engine === null) break;
        if (backlogLeft()) stats.killsWithBacklog += 1;
        if (pop3Proxy.transferring(300) || imapProxy.transferring(300)) stats.killsMidTransfer += 1;
        await engine.kill();
        logs.push(engine.output());
        stats.kills += 1;
        engine = null;
        engine = await launch();
      }
    })()
      .catch(fail)
      .finally(() => {
        killing = false;
        stats.killsDoneAt = Date.now();
      });

    // The cutters, one per proxy so each gets its cuts while its own mailbox has mail (intake
    // fetches in groups now and drains a mailbox in seconds): each arms its proxy on a seeded
    // schedule with the byte of the answer to cut at. Small offsets land inside any mail, large
    // ones only inside the large mails.
    const cutterFor = (proxy: FaultProxy, random: () => number) =>
      (async () => {
        while (faulting()) {
          await sleep(500 + random() * 1_500);
          const ceiling = proxy.protocol === 'pop3' ? LARGE_SIZE - 1024 : IMAP_WINDOW - 1024;
          proxy.armed = random() < 0.5 ? 64 + Math.floor(random() * 1400) : 2048 + Math.floor(random() * (ceiling - 2048));
          // Wait for it to go off (or give up on it when the mail is in), so cuts are spread out.
          while (faulting() && proxy.armed !== null) await sleep(100);
        }
        proxy.armed = null;
      })().catch(fail);
    const cutter = Promise.all([cutterFor(pop3Proxy, cutRandom), cutterFor(imapProxy, prng(seed + 11))]);

    // Dovecot restart: once a seeded share of the mail is in, at a moment a RETR / FETCH is under way.
    const restarter = (async () => {
      const at = Math.floor(total * (0.2 + restartRandom() * 0.25));
      while (faulting() && progress.pop + progress.imap < at) await sleep(100);
      while (faulting() && !(pop3Proxy.transferring(150) || imapProxy.transferring(150))) await sleep(10);
      if (!faulting()) return;
      stats.restartAt = progress.pop + progress.imap;
      stats.sessionsAtRestart = pop3Proxy.openSessions() + imapProxy.openSessions();
      const t0 = Date.now();
      await dovecot?.restart();
      stats.restartMs = Date.now() - t0;
    })().catch(fail);

    await Promise.all([killer, cutter, restarter]);
    const faultsDone = Date.now();
    if (failure !== null) throw failure;
    if (engine === null) throw new Error('no engine running after the kills');

    // Settle: no more faults; the engine the killer started last fetches what is left, if anything,
    // and processes the backlog.
    const running = engine;
    const want = { pop: perMailbox, imap: perMailbox };
    let last = { spooled: progress, processed: 0, popLeft: -1, inbox: -1, processedFolder: -1 };
    try {
      await waitFor(
        async () => {
          const s = await spooled();
          const processed = (await db.status()).byState.processed ?? 0;
          last = { ...last, spooled: s, processed };
          if (s.pop < want.pop || s.imap < want.imap || processed < total) return false;
          last.popLeft = dovecot ? maildirCount(dovecot, 'popuser') : -1;
          last.inbox = dovecot ? await imapCount(dovecot, 'imapuser', 'INBOX') : -1;
          return last.popLeft === 0 && last.inbox === 0;
        },
        180_000,
        'all mail fetched and processed, POP3 Maildir and IMAP INBOX empty',
      );
    } catch (err) {
      // The messages that did not make it, with why: the first thing to look at when this fails.
      const unfinished = (
        await Promise.all((['queued', 'processing', 'deferred', 'failed'] as const).map((state) => db.listMessages({ state, limit: 10 })))
      )
        .flat()
        .map((m) => ({ id: m.id, mailbox: m.mailbox, state: m.state, attempts: m.attempts, lease: m.leaseOwner, error: m.error }));
      throw new Error(
        `${(err as Error).message}; last: ${JSON.stringify(last)}; not processed: ${JSON.stringify(unfinished)}\n${troubleLines([...logs, running.output()])
          .slice(0, 40)
          .join('\n')}`,
        {
          cause: err,
        },
      );
    } finally {
      fetching = false;
      await watcher;
    }
    // SIGTERM only once this engine has polled both mailboxes: a stop while its IMAP poller is still
    // connecting leaves that connection open and the process running after "stopped" (an engine bug:
    // MailboxPoller.stop() closes the connector before the poll in flight has ended), which is not
    // what this test is about.
    await waitFor(
      async () => {
        const polls = await db.mailboxStatus();
        return [POP_BOX, IMAP_BOX].every(
          (box) => (polls.find((p) => p.mailbox === box)?.lastSuccessAt ?? 0) > faultsDone,
        );
      },
      60_000,
      'the final engine to poll both mailboxes',
    );
    const settled = Date.now();
    let stopTimer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      running.stop(),
      new Promise<'no exit within 60 s'>(
        (resolve) => (stopTimer = setTimeout(() => resolve('no exit within 60 s'), 60_000)),
      ),
    ]).finally(() => clearTimeout(stopTimer));
    logs.push(running.output());
    engine = null;
    assert.equal(
      code,
      0,
      `SIGTERM drains and exits 0 (got ${code}); log tail:\n${running.output().slice(-3000)}`,
    );

    // The faults really happened.
    assert.ok(stats.kills >= MIN_KILLS, `at least ${MIN_KILLS} SIGKILLs (got ${stats.kills})`);
    assert.ok(
      stats.killsWithBacklog >= MIN_KILLS / 2,
      `at least half the SIGKILLs while mail was on the servers (got ${stats.killsWithBacklog} of ${stats.kills})`,
    );
    const minCuts = perMailbox >= 1000 ? 3 : 1;
    assert.ok(
      pop3Proxy.cuts.length >= minCuts,
      `at least ${minCuts} cuts mid-RETR (got ${pop3Proxy.cuts.length})`,
    );
    assert.ok(
      imapProxy.cuts.length >= minCuts,
      `at least ${minCuts} cuts mid-FETCH (got ${imapProxy.cuts.length})`,
    );
    assert.ok(
      pop3Proxy.cuts.every((c) => /^RETR /i.test(c.command)) &&
        imapProxy.cuts.every((c) => /FETCH/i.test(c.command)),
      'every cut was inside a RETR / FETCH answer',
    );
    assert.ok(
      stats.restartAt >= 0 && stats.sessionsAtRestart > 0,
      'Dovecot was restarted while a batch was being fetched',
    );

    // What arrived: every mail once per mailbox, with its exact bytes, processed.
    const messages = await db.listMessages({ limit: total * 2 + 100 });
    const expected = new Map<string, Mail & { mailbox: string; source: string }>();
    for (const m of popMails) expected.set(m.subject, { ...m, mailbox: POP_BOX, source: 'pop3' });
    for (const m of imapMails) expected.set(m.subject, { ...m, mailbox: IMAP_BOX, source: 'imap' });
    const bySubject = new Map<string, number>();
    for (const m of messages) bySubject.set(m.subject ?? '', (bySubject.get(m.subject ?? '') ?? 0) + 1);
    const doubled = [...bySubject].filter(([, n]) => n > 1).map(([s]) => s);
    assert.deepEqual(doubled, [], 'no mail is stored twice');
    const missing = [...expected.keys()].filter((s) => !bySubject.has(s));
    assert.deepEqual(missing, [], 'no mail is lost');
    assert.equal(messages.length, total, `${total} message rows`);
    assert.equal(
      messages.filter((m) => m.mailbox === POP_BOX).length,
      perMailbox,
      `${perMailbox} in the POP3 mailbox`,
    );
    assert.equal(
      messages.filter((m) => m.mailbox === IMAP_BOX).length,
      perMailbox,
      `${perMailbox} in the IMAP mailbox`,
    );
    const misplaced = messages
      .filter((m) => {
        const e = expected.get(m.subject ?? '');
        return !e || e.mailbox !== m.mailbox || e.source !== m.source;
      })
      .map((m) => `${m.id}:${m.mailbox}:${m.source}:${m.subject}`);
    assert.deepEqual(misplaced, [], 'each mail in its own mailbox, from its own connector');
    const wrongBytes = messages
      .filter((m) => expected.get(m.subject ?? '')?.sha256 !== m.rawSha256)
      .map((m) => `${m.id}:${m.subject}:${m.rawSize}`);
    assert.deepEqual(
      wrongBytes,
      [],
      'raw bytes stored equal the bytes on the server (no cut-short message committed)',
    );
    const notProcessed = messages
      .filter((m) => m.state !== 'processed')
      .map((m) => `${m.id}:${m.state}:${m.errorCode ?? ''}`);
    assert.deepEqual(notProcessed, [], 'every message processed');

    // What was made of it: one record per mail.
    const records = await db.listRecords(total * 2 + 100);
    assert.equal(records.length, total, `${total} records`);
    assert.deepEqual(
      records.map((r) => r.subject).sort(),
      [...expected.keys()].sort(),
      'one record per mail, by subject',
    );

    // The servers' after-state.
    assert.equal(maildirCount(dovecot, 'popuser'), 0, 'POP3: every mail deleted after its commit');
    assert.equal(await imapCount(dovecot, 'imapuser', 'INBOX'), 0, 'IMAP: INBOX empty');
    assert.equal(
      await imapCount(dovecot, 'imapuser', 'Processed'),
      perMailbox,
      `IMAP: exactly ${perMailbox} moved to Processed`,
    );

    passed = true;
    const status = await db.status();
    const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
    const describeCuts = (p: FaultProxy): string =>
      `${p.cuts.length} (${p.cuts
        .slice(0, 6)
        .map((c) => `${c.command.replace(/\s+\(.*/, '')}@${c.after}B`)
        .join(', ')}${p.cuts.length > 6 ? ', ...' : ''})`;
    const summary =
      `connector-faults: seed ${seed}, ${perMailbox} POP3 + ${perMailbox} IMAP mails (1 in ${LARGE_EVERY} of ${LARGE_SIZE / 1024} KB), ` +
      `${stats.kills} SIGKILLs (${stats.killsWithBacklog} with mail still on the servers, ${stats.killsMidTransfer} during a RETR/FETCH), ` +
      `cuts mid-RETR ${describeCuts(pop3Proxy)}, mid-FETCH ${describeCuts(imapProxy)}, ` +
      `Dovecot restarted after ${stats.restartAt} mails in with ${stats.sessionsAtRestart} sessions open (${seconds(stats.restartMs)}; ` +
      `${pop3Proxy.upstreamRefused + imapProxy.upstreamRefused} connections refused meanwhile), ` +
      `${pop3Proxy.sessions + imapProxy.sessions} proxied sessions, ${status.duplicates} duplicate deliveries (deduped), ` +
      `${troubleLines(logs).length} error lines [${troubleSummary(logs)}]; duration ${seconds(settled - started)} ` +
      `(delivery ${seconds(delivered - started)}, all mail spooled after ${seconds((stats.allSpooledAt || settled) - delivered)}, ` +
      `kills done after ${seconds(stats.killsDoneAt - delivered)}, faults ${seconds(faultsDone - delivered)}, settle ${seconds(settled - faultsDone)})`;
    t.diagnostic(summary);
    console.log(summary);
  },
);
