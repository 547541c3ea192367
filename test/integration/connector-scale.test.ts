// Connectors at scale against a real Dovecot started by the test:
//   1. XOAUTH2/OAUTHBEARER through Dovecot's oauth2 passdb and a local introspection endpoint: a good
//      token logs in, a bad one is a clear auth error, an expired one is replaced by the token command.
//   2. Two `postroom start` on one PostgreSQL share 10 IMAP mailboxes: one poller per mailbox at a
//      time; SIGKILL one, the other takes its mailboxes over within a lease period.
//   3. 50 mailboxes (IMAP and POP3, each with its own schedule) in one engine: all mail once, status
//      per mailbox, one broken mailbox marked (lastError, then stalled) and logged once.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { deliverToMaildir, haveDovecot, startDovecot, startIntrospectionEndpoint, type RunningDovecot } from '../support/dovecot.ts';
import {
  freePort,
  freshDatabaseUrl,
  runCli,
  startEngine,
  tempDir,
  waitFor,
  writeConfig,
  type EngineProcess,
} from '../support/engine.ts';
import { postgresUrlFromEnv } from '../support/postgres.ts';

const dovecotSkip = (await haveDovecot()) ? false : 'Dovecot is not installed (bash test/run.sh installs it when run as root)';
const pgSkip = postgresUrlFromEnv() ? false : 'POSTROOM_TEST_PG_URL is not set: run with `bash test/run.sh`, which starts a PostgreSQL cluster';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const mailOf = (tag: string, n: number): Buffer =>
  Buffer.from(
    [
      `From: sender${n}@example.com`,
      'To: support@example.com',
      `Subject: ${tag} ${n}`,
      `Message-ID: <${tag}-${n}@example.com>`,
      `Date: ${new Date().toUTCString()}`,
      '',
      `Body of ${tag} ${n}.`,
      '',
    ].join('\r\n'),
  );

/** The introspection endpoint's token table, remembering every token Dovecot asked about. */
class RecordingTokens extends Map<string, string> {
  readonly asked: string[] = [];
  override get(token: string): string | undefined {
    this.asked.push(token);
    return super.get(token);
  }
}

interface LogLine {
  level: number;
  msg: string;
  mailbox?: string;
  [key: string]: unknown;
}

/** The engine's pino JSON lines (anything else, e.g. a stack trace, is skipped). */
function logLines(output: string): LogLine[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

function sh(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`${file}: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

/** Live IMAP sessions per user, as Dovecot's anvil counts them (`doveadm who -1`). */
async function imapSessions(d: RunningDovecot): Promise<Map<string, number>> {
  const out = await sh('/usr/bin/doveadm', ['-c', join(d.dir, 'dovecot.conf'), 'who', '-1']);
  const perUser = new Map<string, number>();
  for (const line of out.split('\n').slice(1)) {
    const [user, proto] = line.trim().split(/\s+/);
    if (user && proto === 'imap') perUser.set(user, (perUser.get(user) ?? 0) + 1);
  }
  return perUser;
}

/** A TCP relay to `targetPort` on 127.0.0.1 whose server-to-client direction runs at `bytesPerSecond`: a slow link. */
async function throttledProxy(targetPort: number, bytesPerSecond: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    const slow = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        setTimeout(() => done(null, chunk), (chunk.length / bytesPerSecond) * 1000);
      },
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', end);
      s.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(slow).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the relay has no address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Changes a user's password in the running Dovecot's passwd-file (re-read on change, no restart). */
function setPassword(d: RunningDovecot, user: string, password: string): void {
  const file = join(d.dir, 'passwd');
  const lines = readFileSync(file, 'utf8').split('\n');
  const updated = lines.map((l) => (l.startsWith(`${user}:`) ? `${user}:{PLAIN}${password}::::::` : l));
  assert.notDeepEqual(updated, lines, `user ${user} is in the passwd-file`);
  writeFileSync(`${file}.new`, updated.join('\n'), { mode: 0o644 });
  renameSync(`${file}.new`, file); // a new inode: Dovecot notices at the next lookup
}

const dovecotLog = (d: RunningDovecot): string => readFileSync(join(d.dir, 'dovecot.log'), 'utf8');

const spooledIn = async (store: Store, mailbox: string): Promise<number> =>
  Object.values((await store.status()).byMailbox[mailbox] ?? {}).reduce((a, b) => a + (b ?? 0), 0);

/** Every one of `subjects` spooled, and nothing left to process (waiting out a poll in progress too). */
async function allProcessed(store: Store, subjects: readonly string[]): Promise<boolean> {
  const rows = await store.listMessages({ limit: 100_000 });
  const have = new Set(rows.map((m) => m.subject));
  return subjects.every((s) => have.has(s)) && rows.every((m) => m.state === 'processed');
}

/** Subjects stored more than once, with the sizes of the copies (a short one is a truncated download). */
async function doubles(store: Store): Promise<string[]> {
  const bySubject = new Map<string, number[]>();
  for (const m of await store.listMessages({ limit: 100_000 })) bySubject.set(m.subject ?? '', [...(bySubject.get(m.subject ?? '') ?? []), m.rawSize]);
  return [...bySubject].filter(([, sizes]) => sizes.length > 1).map(([subject, sizes]) => `${subject}: ${sizes.length} copies of ${sizes.join(' / ')} bytes`);
}

function maildirCount(d: RunningDovecot, user: string): number {
  const dir = d.mailDir(user);
  const count = (sub: string): number => {
    try {
      return readdirSync(join(dir, sub)).length;
    } catch {
      return 0;
    }
  };
  return count('new') + count('cur');
}

interface StatusJson {
  mailboxes: {
    mailbox: string;
    connector: string;
    lastPoll: string | null;
    lastSuccess: string | null;
    lagSeconds: number | null;
    lastError: string | null;
    polledBy: string | null;
    stalled: boolean;
  }[];
}

describe('connectors at scale against Dovecot', { skip: dovecotSkip }, () => {
  const tokens = new RecordingTokens();
  let introspection: Awaited<ReturnType<typeof startIntrospectionEndpoint>>;
  let dovecot: RunningDovecot;

  before(async () => {
    introspection = await startIntrospectionEndpoint(tokens);
    dovecot = await startDovecot({ oauth2IntrospectionUrl: introspection.url });
  });
  after(async () => {
    await dovecot?.stop();
    await introspection?.close();
  });

  describe('XOAUTH2 with Dovecot’s oauth2 passdb and a local introspection endpoint', () => {
    let dir: string;
    // Dovecot user per mailbox; the endpoint knows the good and the fresh tokens, not the bad or expired ones.
    const users = { imapGood: 'oimapgood', popGood: 'opopgood', imapCmd: 'oimapcmd', popCmd: 'opopcmd' } as const;

    before(async () => {
      dir = tempDir('postroom-oauth-');
      tokens.set('imap-good-token', users.imapGood);
      tokens.set('pop-good-token', users.popGood);
      tokens.set('imap-fresh-token', users.imapCmd);
      tokens.set('pop-fresh-token', users.popCmd);
      for (const [i, user] of Object.values(users).entries()) {
        await deliverToMaildir(dovecot, user, [1, 2, 3].map((n) => mailOf(`oauth${i}`, n)));
      }
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const box = (address: string, connector: 'imap' | 'pop3', user: string, accessToken: string): string =>
      [
        `  - address: ${address}`,
        `    connector: ${connector}`,
        `    server: { host: 127.0.0.1, port: ${connector === 'imap' ? dovecot.imapPort : dovecot.pop3Port}, tls: false, timeout: 10s,`,
        `              auth: { user: ${user}, accessToken: ${accessToken} } }`,
        '    pollingInterval: 1s',
      ].join('\n');

    /** A token command: prints an expired token the first time, then a fresh one (a counter file). */
    const tokenScript = (name: string, expired: string, fresh: string): { path: string; runs: () => number } => {
      const path = join(dir, `${name}.sh`);
      const counter = join(dir, `${name}.count`);
      writeFileSync(
        path,
        [
          '#!/bin/sh',
          `n=$(cat '${counter}' 2>/dev/null || echo 0)`,
          'n=$((n + 1))',
          `echo "$n" > '${counter}'`,
          `if [ "$n" -eq 1 ]; then echo ${expired}; else echo ${fresh}; fi`,
          '',
        ].join('\n'),
      );
      chmodSync(path, 0o755);
      return { path, runs: () => Number(readFileSync(counter, 'utf8').trim()) };
    };

    it('`mailbox test`: a good token logs in (IMAP, POP3), a bad one exits 1 with a clear authentication error', async () => {
      const config = writeConfig(
        tempDir(),
        [
          `dataDir: ${dir}/probe-data`,
          'mailboxes:',
          box('imap-good@oauth.example', 'imap', users.imapGood, 'imap-good-token'),
          box('pop-good@oauth.example', 'pop3', users.popGood, 'pop-good-token'),
          box('imap-bad@oauth.example', 'imap', users.imapGood, 'imap-bad-token'),
          box('pop-bad@oauth.example', 'pop3', users.popGood, 'pop-bad-token'),
        ].join('\n'),
      );
      // Create the probe database first: two commands migrating a brand-new SQLite file at the same
      // moment can fail with "database is locked" (migrate() upgrades a deferred transaction to a
      // writer), a race this test is not about.
      await (await openStore('', `${dir}/probe-data`)).close();
      const probe = (address: string): ReturnType<typeof runCli> => runCli(['-c', config, 'mailbox', 'test', address, '--json'], { cwd: dir });
      const [imapGood, popGood] = await Promise.all([probe('imap-good@oauth.example'), probe('pop-good@oauth.example')]);
      for (const [name, r] of [['IMAP', imapGood], ['POP3', popGood]] as const) {
        assert.equal(r.code, 0, `${name} good token: ${r.stdout}${r.stderr}`);
        const report = JSON.parse(r.stdout) as { ok: boolean; count: number };
        assert.equal(report.ok, true);
        assert.equal(report.count, 3, `${name}: logged in and saw the 3 messages`);
      }

      const text = (address: string): ReturnType<typeof runCli> => runCli(['-c', config, 'mailbox', 'test', address], { cwd: dir });
      const [imapBad, popBad] = await Promise.all([text('imap-bad@oauth.example'), text('pop-bad@oauth.example')]);
      for (const [name, r, address, token] of [
        ['IMAP', imapBad, 'imap-bad@oauth.example', 'imap-bad-token'],
        ['POP3', popBad, 'pop-bad@oauth.example', 'pop-bad-token'],
      ] as const) {
        assert.equal(r.code, 1, `${name} bad token exits 1: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, new RegExp(`${address.replaceAll('.', '\\.')}: FAILED: authentication failed`), `${name}: ${r.stderr}`);
        assert.ok(!`${r.stdout}${r.stderr}`.includes(token), `${name}: the token is not echoed: ${r.stderr}`);
      }
      // Said plainly: the one FAILED line, no library log records or stack traces around it.
      for (const [name, r] of [['IMAP', imapBad], ['POP3', popBad]] as const) {
        assert.deepEqual(r.stderr.trim().split('\n').filter((l) => !l.includes(': FAILED: ')), [], `${name}: only the FAILED line on stderr`);
      }
      assert.ok(tokens.asked.includes('imap-bad-token') && tokens.asked.includes('pop-bad-token'), 'Dovecot asked the endpoint about the bad tokens');

      // Dovecot's log names the SASL mechanism of each good login: an OAuth one, not a password.
      const logins = dovecotLog(dovecot)
        .split('\n')
        .filter((l) => / Login: user=<(oimapgood|opopgood)>/.test(l));
      assert.ok(logins.some((l) => l.includes('imap-login') && /method=(XOAUTH2|OAUTHBEARER)/.test(l)), logins.join('\n'));
      assert.ok(logins.some((l) => l.includes('pop3-login') && l.includes('method=XOAUTH2')), logins.join('\n'));
    });

    it('the engine fetches with a good token, and with a token command whose first token has expired', async () => {
      const imapCmd = tokenScript('imap-token', 'imap-expired-token', 'imap-fresh-token');
      const popCmd = tokenScript('pop-token', 'pop-expired-token', 'pop-fresh-token');
      const engineDir = tempDir('postroom-oauth-engine-');
      const config = writeConfig(
        engineDir,
        [
          `dataDir: ${engineDir}/data`,
          'log: { level: info }',
          `smtp: { port: ${await freePort()} }`,
          'runner: { workers: 1, pollInterval: 100ms, leaseSeconds: 10s, backoff: { base: 1s, max: 3s } }',
          'mailboxes:',
          box('imap-good@oauth.example', 'imap', users.imapGood, 'imap-good-token'),
          box('pop-good@oauth.example', 'pop3', users.popGood, 'pop-good-token'),
          box('imap-cmd@oauth.example', 'imap', users.imapCmd, JSON.stringify({ command: imapCmd.path })),
          box('pop-cmd@oauth.example', 'pop3', users.popCmd, JSON.stringify({ command: popCmd.path })),
        ].join('\n'),
      );
      const engine = await startEngine({ cwd: engineDir, config, port: 0 });
      const store = await openStore('', `${engineDir}/data`);
      try {
        const boxes = ['imap-good', 'pop-good', 'imap-cmd', 'pop-cmd'].map((b) => `${b}@oauth.example`);
        await waitFor(async () => {
          for (const b of boxes) if ((await spooledIn(store, b)) < 3) return false;
          return true;
        }, 60_000, 'three messages in each OAuth mailbox');
        await waitFor(async () => (await store.status()).byState.processed === 12, 60_000, '12 messages processed');
        for (const b of boxes) assert.equal(await spooledIn(store, b), 3, `${b}: each message once`);

        // The command ran again after the server refused its first (expired) token, on both protocols.
        for (const [name, cmd, expired, fresh] of [
          ['IMAP', imapCmd, 'imap-expired-token', 'imap-fresh-token'],
          ['POP3', popCmd, 'pop-expired-token', 'pop-fresh-token'],
        ] as const) {
          assert.ok(cmd.runs() >= 2, `${name}: the token command ran ${cmd.runs()} time(s)`);
          const firstExpired = tokens.asked.indexOf(expired);
          assert.ok(firstExpired >= 0, `${name}: the expired token was presented first`);
          assert.ok(tokens.asked.indexOf(fresh) > firstExpired, `${name}: then the fresh one`);
        }
        // Fetched and deleted on the server (afterProcessing: delete).
        await waitFor(() => Object.values(users).every((u) => maildirCount(dovecot, u) === 0), 30_000, 'the OAuth mailboxes emptied on the server');
        const out = engine.output();
        for (const secret of ['imap-good-token', 'pop-good-token', 'imap-expired-token', 'imap-fresh-token', 'pop-expired-token', 'pop-fresh-token']) {
          assert.ok(!out.includes(secret), `the engine log does not contain ${secret}`);
        }
      } finally {
        await engine.kill();
        await store.close();
        rmSync(engineDir, { recursive: true, force: true });
      }
    });
  });

  describe('two `postroom start` on one PostgreSQL with 10 IMAP mailboxes', { skip: pgSkip }, () => {
    it('polls each mailbox from one process at a time; after a SIGKILL the other takes over within a lease period', async (t) => {
      const leaseMs = 3000;
      const renewMs = 1000; // MailboxPoller renews every max(1s, lease/3)
      const base = tempDir('postroom-two-engines-');
      const dataDir = join(base, 'data'); // shared: a message spooled by one engine is processed by the other
      const url = await freshDatabaseUrl('postgres');
      // Opening the store migrates the new database once, before the two engines start together.
      const store = await openStore(url, dataDir);
      const db = new pg.Client({ connectionString: url });
      await db.connect();
      // two0 sits behind a 1 MB/s link with a 6 MB backlog: its first poll outlasts the 3 s lease.
      const slowLink = await throttledProxy(dovecot.imapPort, 1024 * 1024);
      const engines: EngineProcess[] = [];
      const sampler = { stop: false, leases: [] as Map<string, string>[], sessions: [] as Map<string, number>[] };
      let sampling: Promise<void> = Promise.resolve();
      try {
        const users = Array.from({ length: 10 }, (_, i) => `two${i}`);
        const addressOf = (user: string): string => `${user}@two.example`;
        for (const user of users) {
          await dovecot.addUser(user, 'pw');
          await deliverToMaildir(dovecot, user, [mailOf(`${user}-before`, 1), mailOf(`${user}-before`, 2)]);
        }
        const padding = `${'x'.repeat(76)}\r\n`.repeat(1600); // ~125 KB
        await deliverToMaildir(
          dovecot,
          'two0',
          Array.from({ length: 50 }, (_, n) => Buffer.concat([mailOf('two0-backlog', n), Buffer.from(padding)])),
        );
        const initial = 10 * 2 + 50;
        const expected = [
          ...users.flatMap((u) => [`${u}-before 1`, `${u}-before 2`]),
          ...Array.from({ length: 50 }, (_, n) => `two0-backlog ${n}`),
        ];

        const configFor = async (name: string): Promise<{ cwd: string; config: string }> => {
          const cwd = join(base, name);
          mkdirSync(cwd);
          const yaml = [
            `dataDir: ${dataDir}`,
            `database: { url: "${url}" }`,
            'log: { level: info }',
            `smtp: { port: ${await freePort()} }`,
            `runner: { workers: 1, pollInterval: 100ms, leaseSeconds: ${leaseMs / 1000}s, backoff: { base: 1s, max: 3s } }`,
            'mailboxes:',
            ...users.map((u, i) =>
              [
                `  - address: ${addressOf(u)}`,
                '    connector: imap',
                `    server: { host: 127.0.0.1, port: ${i === 0 ? slowLink.port : dovecot.imapPort}, tls: false, user: ${u}, password: pw, timeout: 10s }`,
                '    pollingInterval: 2s',
                '    batchSize: 100',
              ].join('\n'),
            ),
          ].join('\n');
          return { cwd, config: writeConfig(cwd, yaml) };
        };
        const a = await configFor('a');
        const b = await configFor('b');
        const leases = async (): Promise<Map<string, string>> => {
          const { rows } = await db.query<{ mailbox: string; owner: string }>('SELECT mailbox, owner FROM mailbox_leases');
          return new Map(rows.map((r) => [r.mailbox, r.owner]));
        };
        // The leases are still held by a node that died a moment ago; they run out one by one from
        // 7 s on, while both engines run, so the engines share the mailboxes out between them
        // (rather than the first one up taking all ten). Sampled from the first moment.
        const dead = 'node-that-died/999999/0';
        const expiry = Date.now() + 7000;
        for (const [i, user] of users.entries()) {
          await db.query('INSERT INTO mailbox_leases (mailbox, owner, expires_at) VALUES ($1, $2, $3)', [addressOf(user), dead, expiry + i * 150]);
        }
        const starting = Promise.all([startEngine({ ...a, port: 0 }), startEngine({ ...b, port: 0 })]);
        sampling = (async () => {
          while (!sampler.stop) {
            sampler.leases.push(await leases());
            sampler.sessions.push(await imapSessions(dovecot));
            await sleep(200);
          }
        })();
        engines.push(...(await starting));
        const [engineA, engineB] = engines as [EngineProcess, EngineProcess];
        const pidOf = (owner: string): number => Number(owner.split('/')[1]);
        const nameOf = (owner: string): string =>
          owner === dead ? 'dead' : pidOf(owner) === engineA.child.pid ? 'A' : pidOf(owner) === engineB.child.pid ? 'B' : `unknown owner ${owner}`;

        await waitFor(() => allProcessed(store, expected), 90_000, `the first ${initial} messages processed`);
        // Both live and idle-polling for two more lease periods, with new mail in every mailbox.
        for (const user of users) await deliverToMaildir(dovecot, user, [mailOf(`${user}-both`, 1)]);
        expected.push(...users.map((u) => `${u}-both 1`));
        await sleep(2 * leaseMs);
        await waitFor(() => allProcessed(store, expected), 60_000, 'the 10 messages delivered while both live');
        sampler.stop = true;
        await sampling;

        const ownerOf = new Map<string, string>();
        await t.test('while both live, every mailbox has one lease holder and never changes hands', () => {
          assert.ok(sampler.leases.length >= 20, `sampled ${sampler.leases.length} times`);
          const flips: string[] = [];
          const current = new Map<string, string>();
          for (const [i, sample] of sampler.leases.entries()) {
            for (const [mailbox, owner] of sample) {
              assert.doesNotMatch(nameOf(owner), /unknown/, `${mailbox} is held by one of the two engines`);
              if (owner === dead) continue; // not yet expired
              if (!ownerOf.has(mailbox)) ownerOf.set(mailbox, owner);
              const before = current.get(mailbox);
              if (before !== undefined && nameOf(before) !== nameOf(owner)) flips.push(`sample ${i}: ${mailbox} ${nameOf(before)} -> ${nameOf(owner)}`);
              current.set(mailbox, owner);
            }
          }
          assert.equal(ownerOf.size, 10, 'all 10 mailboxes were taken over from the dead node');
          assert.deepEqual(flips, [], `no mailbox changed hands while both engines lived (${sampler.leases.length} samples)`);
        });
        await t.test('Dovecot never saw two IMAP sessions for one mailbox user', () => {
          const doubled = new Map<string, number>(); // user -> samples with more than one session
          for (const sample of sampler.sessions) for (const [user, n] of sample) if (n > 1) doubled.set(user, (doubled.get(user) ?? 0) + 1);
          assert.deepEqual(
            [...doubled].map(([user, n]) => `${user}: 2+ sessions in ${n} of ${sampler.sessions.length} samples`),
            [],
            'at most one IMAP session per user at every sample',
          );
        });
        await t.test('nothing was fetched twice: no duplicate delivery, no second (truncated) copy', async () => {
          assert.deepEqual(await doubles(store), [], 'messages stored more than once');
          assert.equal((await store.status()).duplicates, 0, 'duplicate deliveries (fetched by both engines)');
        });
        await t.test('each engine log says which mailboxes it polls; no mailbox was taken twice', () => {
          const lines = [
            ...logLines(engineA.output()).map((l) => ({ ...l, engine: 'A' })),
            ...logLines(engineB.output()).map((l) => ({ ...l, engine: 'B' })),
          ];
          for (const user of users) {
            const takes = lines.filter((l) => l.msg === 'polling this mailbox' && l.mailbox === addressOf(user)).map((l) => l.engine);
            assert.deepEqual(takes, [nameOf(ownerOf.get(addressOf(user)) ?? '')], `${user}: taken once, by the lease holder`);
          }
          assert.deepEqual(lines.filter((l) => l.msg === 'another node polls this mailbox').map((l) => l.mailbox), [], 'no poller lost its lease');
        });

        // SIGKILL the engine holding more mailboxes: no lease release, no goodbye.
        const heldBy = (e: EngineProcess): number => [...ownerOf.values()].filter((o) => pidOf(o) === e.child.pid).length;
        const [victim, survivor] = heldBy(engineA) >= heldBy(engineB) ? [engineA, engineB] : [engineB, engineA];
        const victimHeld = heldBy(victim);
        const killedAt = Date.now();
        await victim.kill();
        await t.test(`the survivor holds all 10 leases within a lease period (victim held ${victimHeld})`, async () => {
          await waitFor(async () => [...(await leases()).values()].every((o) => pidOf(o) === survivor.child.pid), 30_000, 'the survivor holding all 10 leases');
          const takeoverMs = Date.now() - killedAt;
          process.stdout.write(`# two engines: the victim held ${victimHeld}/10 mailboxes; takeover in ${takeoverMs} ms (lease ${leaseMs} ms)\n`);
          // The victim renewed at most ~renewMs before the kill, its lease ends leaseMs later, and the
          // survivor asks every renewMs; the rest is slack for a loaded machine.
          assert.ok(takeoverMs <= leaseMs + renewMs + 2500, `took over in ${takeoverMs} ms`);
        });
        await t.test('the survivor polls them: status rows name it, new mail in every mailbox is fetched, all processed once', async () => {
          for (const user of users) await deliverToMaildir(dovecot, user, [mailOf(`${user}-after`, 1)]);
          await waitFor(
            async () =>
              (await store.mailboxStatus()).filter((s) => s.owner !== null && pidOf(s.owner) === survivor.child.pid && (s.lastSuccessAt ?? 0) >= killedAt).length === 10,
            30_000,
            'every mailbox status row written by the survivor after the kill',
          );
          expected.push(...users.map((u) => `${u}-after 1`));
          const total = initial + 20;
          await waitFor(() => allProcessed(store, expected), 60_000, `the mail delivered after the kill fetched, and all ${total} processed (the victim’s unfinished ones too)`);
          assert.deepEqual(await doubles(store), [], 'messages stored more than once');
          assert.equal((await store.listMessages({ limit: 1000 })).length, total, 'each message once');
          const takes = logLines(survivor.output()).filter((l) => l.msg === 'polling this mailbox').length;
          assert.equal(takes, 10, 'the survivor logged taking each mailbox once in all');
          assert.equal(await survivor.stop(), 0, 'the survivor drains and exits 0');
        });
      } finally {
        sampler.stop = true;
        await sampling.catch(() => undefined);
        for (const e of engines) await e.kill();
        await slowLink.close();
        await db.end();
        await store.close();
        rmSync(base, { recursive: true, force: true });
      }
    });
  });

  describe('50 mailboxes, each with its own schedule, in one engine', () => {
    it('takes all 250 messages once, reports each mailbox, and marks a broken mailbox without disturbing the rest', async (t) => {
      const dir = tempDir('postroom-fifty-');
      const count = 50;
      const users = Array.from({ length: count }, (_, i) => `bulk${String(i).padStart(2, '0')}`);
      const addressOf = (user: string): string => `${user}@fifty.example`;
      const connectorOf = (i: number): 'imap' | 'pop3' => (i % 5 === 4 ? 'pop3' : 'imap'); // 40 IMAP, 10 POP3
      const intervalOf = (i: number): number => 2 + (i % 4); // 2s..5s
      // One IMAP (idle) and one POP3 mailbox break: their passwords change on the server.
      const brokenInterval = 6;
      const brokenIndexes = [8, 9];
      const broken = brokenIndexes.map((i) => users[i]!);
      assert.deepEqual(brokenIndexes.map(connectorOf), ['imap', 'pop3']);
      for (const user of users) {
        await dovecot.addUser(user, 'pw');
        await deliverToMaildir(dovecot, user, [1, 2, 3, 4, 5].map((n) => mailOf(user, n)));
      }
      const config = writeConfig(
        dir,
        [
          `dataDir: ${dir}/data`,
          'log: { level: info }',
          `smtp: { port: ${await freePort()} }`,
          'runner: { workers: 1, pollInterval: 100ms, leaseSeconds: 10s, backoff: { base: 1s, max: 4s } }',
          'mailboxes:',
          ...users.map((u, i) => {
            const connector = connectorOf(i);
            return [
              `  - address: ${addressOf(u)}`,
              `    connector: ${connector}`,
              `    server: { host: 127.0.0.1, port: ${connector === 'imap' ? dovecot.imapPort : dovecot.pop3Port}, tls: false, user: ${u}, password: pw, timeout: 10s }`,
              `    pollingInterval: ${brokenIndexes.includes(i) ? brokenInterval : intervalOf(i)}s`,
              // IMAP: half idle (push), half plain polling.
              ...(connector === 'imap' ? [`    idle: ${i % 2 === 0}`] : []),
            ].join('\n');
          }),
        ].join('\n'),
      );
      let engine = await startEngine({ cwd: dir, config, port: 0 });
      const store = await openStore('', `${dir}/data`);
      const status = async (): Promise<StatusJson> => {
        const r = await runCli(['-c', config, 'status', '--json'], { cwd: dir });
        assert.equal(r.code, 0, r.stderr);
        return JSON.parse(r.stdout) as StatusJson;
      };
      const statusOf = (s: StatusJson, user: string): StatusJson['mailboxes'][number] | undefined => s.mailboxes.find((m) => m.mailbox === addressOf(user));
      try {
        await t.test('all 250 messages are taken once and processed', async () => {
          await waitFor(async () => (await store.status()).byState.processed === 250, 150_000, '250 messages processed');
          for (const u of users) assert.equal(await spooledIn(store, addressOf(u)), 5, `${u}: 5 messages`);
          const subjects = (await store.listMessages({ limit: 10_000 })).map((m) => m.subject);
          assert.equal(new Set(subjects).size, 250, 'each message once');
        });

        await t.test('`postroom status --json` lists the 50 mailboxes, each with a last success and not stalled', async () => {
          await waitFor(async () => (await store.mailboxStatus()).filter((s) => s.lastSuccessAt !== null).length === count, 30_000, 'a good poll of every mailbox');
          const healthy = await status();
          assert.equal(healthy.mailboxes.length, count, 'status lists the 50 mailboxes');
          for (const m of healthy.mailboxes) {
            assert.ok(m.lastSuccess !== null, `${m.mailbox}: lastSuccess set`);
            assert.equal(m.stalled, false, `${m.mailbox}: not stalled (lag ${m.lagSeconds}s)`);
            assert.equal(m.lastError, null, `${m.mailbox}: no error`);
          }
        });

        // Break two mailboxes: the passwords change on the server, which drops the IMAP session.
        const brokeAt = Date.now();
        for (const u of broken) setPassword(dovecot, u, 'changed-on-the-server');
        // Dovecot's passwd-file looks at the file at most once a second, so a login in this second may still pass
        // with the old password: wait it out before dropping the IDLE session.
        await new Promise((r) => setTimeout(r, 1_100));
        await sh('/usr/bin/doveadm', ['-c', join(dovecot.dir, 'dovecot.conf'), 'kick', broken[0]!]);
        for (const u of users) if (!broken.includes(u)) await deliverToMaildir(dovecot, u, [mailOf(`${u}-later`, 1)]);

        await t.test('status shows the broken mailboxes’ error at once, but not stalled yet', async () => {
          await waitFor(
            async () => (await store.mailboxStatus()).filter((s) => broken.map(addressOf).includes(s.mailbox) && s.lastError !== null).length === broken.length,
            30_000,
            'the broken mailboxes’ errors recorded',
          );
          // Only now: a poll has failed since the change, and a mailbox's polls run one after another, so no poll
          // that logged in with the old password can still be listing the mailbox.
          for (const u of broken) await deliverToMaildir(dovecot, u, [mailOf(`${u}-later`, 1)]);
          const failing = await status();
          for (const u of broken) {
            const m = statusOf(failing, u);
            assert.ok(m?.lastError, `${u}: lastError set`);
            assert.equal(m.stalled, false, `${u}: not stalled yet (${m.lagSeconds}s since the last success < 3 × ${brokenInterval}s)`);
          }
        });

        await t.test('the other 48 keep working: the mail delivered after the break is fetched', async () => {
          await waitFor(async () => {
            for (const u of users) if (!broken.includes(u) && (await spooledIn(store, addressOf(u))) < 6) return false;
            return true;
          }, 60_000, 'the 48 working mailboxes fetching new mail');
        });

        await t.test('after three intervals without a good poll the broken mailboxes are stalled; the rest are not', async () => {
          let seen: StatusJson | undefined;
          await waitFor(async () => {
            seen = await status();
            return broken.every((u) => statusOf(seen!, u)?.stalled === true);
          }, 3 * brokenInterval * 1000 + 20_000, 'the broken mailboxes marked stalled');
          for (const u of broken) {
            const m = statusOf(seen!, u);
            assert.ok((m?.lagSeconds ?? 0) >= 3 * brokenInterval, `${u}: stalled only after 3 intervals (lag ${m?.lagSeconds}s)`);
            assert.ok(m?.lastError, `${u}: still shows its error`);
          }
          for (const m of seen!.mailboxes) {
            if (broken.map(addressOf).includes(m.mailbox)) continue;
            assert.equal(m.stalled, false, `${m.mailbox} keeps working (lag ${m.lagSeconds}s)`);
            assert.equal(m.lastError, null, `${m.mailbox}: no error`);
            assert.ok(m.lastSuccess !== null && Date.parse(m.lastSuccess) > brokeAt, `${m.mailbox}: polled since the break`);
          }
          for (const u of broken) assert.equal(await spooledIn(store, addressOf(u)), 5, `${u}: nothing new fetched while broken`);
          // The monitoring probe says so too: critical, naming each stalled mailbox.
          const probe = await runCli(['-c', config, 'status', '--check', '--json'], { cwd: dir });
          assert.equal(probe.code, 2, probe.stderr);
          const { check } = JSON.parse(probe.stdout) as { check: { status: string; problems: string[] } };
          for (const u of broken) assert.ok(check.problems.some((p) => p.startsWith(`${addressOf(u)} stalled (last good poll`)), `${u} in ${JSON.stringify(check.problems)}`);
        });

        await t.test('each broken mailbox’s failure is logged once, not once per retry', () => {
          const log = dovecotLog(dovecot).split('\n');
          const since = logLines(engine.output()).filter((l) => Number(l['time']) >= brokeAt);
          for (const u of broken) {
            const refusals = log.filter((l) => l.includes(`user=<${u}>`) && /auth failed/i.test(l)).length;
            assert.ok(refusals >= 3, `Dovecot refused ${u} ${refusals} times`);
            const complaints = since.filter((l) => l.level >= 40 && JSON.stringify(l).includes(addressOf(u)));
            assert.deepEqual(complaints.map((l) => l.msg), ['poll failed; retrying with backoff'], `${u}: one line over ${refusals} refusals`);
          }
          // ... and nothing else complains at every retry without saying which mailbox it is about.
          const anonymous = since.filter((l) => l.level >= 40 && l.mailbox === undefined);
          assert.deepEqual(anonymous.map((l) => `${l.msg} ${JSON.stringify(l['err'] ?? '').slice(0, 120)}`), [], 'warnings that name no mailbox');
        });

        await t.test('the recorded error says what is wrong (authentication), not just that a command failed', async () => {
          const now = await status();
          for (const u of broken) assert.match(statusOf(now, u)?.lastError ?? '', /auth|login|password/i, `${u}: ${statusOf(now, u)?.lastError}`);
        });

        await t.test('an engine restart keeps the broken mailboxes’ last success on record', async () => {
          const before = await status();
          assert.equal(await engine.stop(), 0, 'the engine drains and exits 0');
          const restartedAt = Date.now();
          engine = await startEngine({ cwd: dir, config, port: 0 });
          await waitFor(async () => {
            const rows = await store.mailboxStatus();
            return broken.every((u) => (rows.find((r) => r.mailbox === addressOf(u))?.lastPollAt ?? 0) >= restartedAt);
          }, 30_000, 'the restarted engine polling the broken mailboxes');
          const after = await status();
          for (const u of broken) {
            assert.ok(statusOf(after, u)?.lastError, `${u}: still failing`);
            assert.notEqual(statusOf(after, u)?.polledBy, statusOf(before, u)?.polledBy, `${u}: polled by the new process`);
            assert.equal(statusOf(after, u)?.lastSuccess, statusOf(before, u)?.lastSuccess, `${u}: the last success before the restart is still shown`);
          }
        });

        await t.test('fixed on the server, both recover by themselves and say so once', async () => {
          for (const u of broken) setPassword(dovecot, u, 'pw');
          await waitFor(async () => {
            for (const u of broken) if ((await spooledIn(store, addressOf(u))) !== 6) return false;
            return true;
          }, 30_000, 'the broken mailboxes catching up');
          const recoveries = (u: string): number =>
            logLines(engine.output()).filter((l) => l.mailbox === addressOf(u) && l.msg === 'mailbox reachable again').length;
          // The line comes once the poll that spooled the message has returned.
          await waitFor(() => broken.every((u) => recoveries(u) > 0), 10_000, 'the recoveries logged');
          for (const u of broken) assert.equal(recoveries(u), 1, `${u}: recovery logged once`);
          await waitFor(async () => (await store.status()).byState.processed === 300, 60_000, 'all 300 processed');
          const final = await status();
          for (const u of broken) {
            assert.equal(statusOf(final, u)?.lastError, null);
            assert.equal(statusOf(final, u)?.stalled, false);
          }
        });
      } finally {
        await engine.kill();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
