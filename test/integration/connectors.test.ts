// POP3 and IMAP mailboxes against a real Dovecot started by the test: everything fetched once,
// the server left in the configured after-state, IDLE push, UIDVALIDITY change, `mailbox test`.
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { appendViaImap, deliverToMaildir, haveDovecot, startDovecot, type RunningDovecot } from '../support/dovecot.ts';
import { engineConfig, freePort, runCli, startEngine, tempDir, waitFor, writeConfig, type EngineProcess } from '../support/engine.ts';

const mailOf = (tag: string, n: number): Buffer =>
  Buffer.from(
    [`From: sender${n}@example.com`, 'To: support@example.com', `Subject: ${tag} ${n}`, `Message-ID: <${tag}-${n}@example.com>`, '', `Body of ${tag} ${n}.`, ''].join(
      '\r\n',
    ),
  );

/** Messages in a folder, or -1 when it does not exist. */
async function imapCount(d: RunningDovecot, user: string, folder: string): Promise<number> {
  const client = new ImapFlow({ host: d.host, port: d.imapPort, secure: false, doSTARTTLS: false, auth: { user, pass: 'pw' }, logger: false });
  await client.connect();
  try {
    const status = await client.status(folder, { messages: true }).catch((err: { code?: string }) => {
      if (err.code === 'NotFound') return false as const;
      throw err;
    });
    return status === false ? -1 : (status.messages ?? 0);
  } finally {
    await client.logout().catch(() => undefined);
  }
}

interface BoxOptions {
  port?: number;
  tls?: string;
  password?: string;
  settings: string[];
}

function mailboxYaml(d: RunningDovecot, address: string, user: string, connector: 'pop3' | 'imap', o: BoxOptions): string {
  const port = o.port ?? (connector === 'pop3' ? d.pop3Port : d.imapPort);
  const tls = o.tls ?? 'tls: false';
  return [
    `  - address: ${address}`,
    `    connector: ${connector}`,
    `    server: { host: 127.0.0.1, port: ${port}, ${tls}, user: ${user}, password: ${o.password ?? 'pw'}, timeout: 10s }`,
    ...o.settings.map((line) => `    ${line}`),
  ].join('\n');
}

describe('POP3 and IMAP connectors against Dovecot', { skip: (await haveDovecot()) ? false : 'Dovecot is not installed (npm test installs it)' }, () => {
  let dovecot: RunningDovecot;
  let dir: string;
  let engine: EngineProcess | undefined;
  let store: Store;
  let config: string;

  before(async () => {
    dovecot = await startDovecot();
    dir = tempDir();
    for (const user of ['popuser', 'imapuser', 'idleuser', 'keepuser', 'bigpop', 'bigimap', 'moveuser', 'movedel']) await dovecot.addUser(user, 'pw');
    const port = await freePort();
    config = writeConfig(
      dir,
      engineConfig({
        dataDir: `${dir}/data`,
        url: '',
        port,
        extra: [
          'mailboxes:',
          mailboxYaml(dovecot, 'pop@example.com', 'popuser', 'pop3', { settings: ['afterProcessing: delete', 'batchSize: 200', 'pollingInterval: 1s'] }),
          mailboxYaml(dovecot, 'imap@example.com', 'imapuser', 'imap', {
            settings: ['afterProcessing: { move: Processed }', 'batchSize: 200', 'pollingInterval: 1s'],
          }),
          mailboxYaml(dovecot, 'idle@example.com', 'idleuser', 'imap', { settings: ['idle: true', 'pollingInterval: 1h', 'afterProcessing: flag-seen'] }),
          mailboxYaml(dovecot, 'keep@example.com', 'keepuser', 'imap', { settings: ['afterProcessing: keep', 'pollingInterval: 1s', 'idle: false'] }),
          mailboxYaml(dovecot, 'bigpop@example.com', 'bigpop', 'pop3', { settings: ['pollingInterval: 1s'] }),
          mailboxYaml(dovecot, 'bigimap@example.com', 'bigimap', 'imap', { settings: ['pollingInterval: 1s', 'idle: false'] }),
          // IDLE and a long interval: the poller must come back for the moves by itself.
          mailboxYaml(dovecot, 'moves@example.com', 'moveuser', 'imap', { settings: ['afterProcessing: flag-seen', 'pollingInterval: 1h', 'idle: true'] }),
          mailboxYaml(dovecot, 'movedel@example.com', 'movedel', 'imap', { settings: ['afterProcessing: delete', 'pollingInterval: 1s', 'idle: false'] }),
          'limits: { messageSize: 1MB }',
          'rules:',
          '  filters:',
          '    - name: invoices-to-billing',
          '      when: { all: [{ mailbox: { isAnyOf: [moves@example.com, movedel@example.com] } }, { subject: { contains: invoice } }] }',
          '      do: [{ moveTo: Billing }]',
        ].join('\n'),
      }),
    );
    store = await openStore('', `${dir}/data`);
  });
  after(async () => {
    await engine?.kill();
    await store?.close();
    await dovecot?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async (mailbox: string): Promise<number> => (await store.listMessages({ mailbox, limit: 100_000 })).length;

  it('fetches 2,000 POP3 and 2,000 IMAP messages exactly once and leaves the servers in the after-state', async () => {
    await deliverToMaildir(dovecot, 'popuser', Array.from({ length: 2000 }, (_, i) => mailOf('pop', i)));
    await deliverToMaildir(dovecot, 'imapuser', Array.from({ length: 2000 }, (_, i) => mailOf('imap', i)));
    await appendViaImap(dovecot, 'imapuser', 'pw', [], 'Processed');
    engine = await startEngine({ cwd: dir, config, port: 0 });
    await waitFor(async () => (await count('pop@example.com')) === 2000 && (await count('imap@example.com')) === 2000, 240_000, '4,000 messages spooled');
    await waitFor(async () => (await store.status()).byState.processed === 4000, 240_000, '4,000 messages processed');
    const subjects = (await store.listMessages({ limit: 100_000 })).map((m) => m.subject);
    assert.equal(new Set(subjects).size, 4000, 'each message once');
    assert.equal(readdirSync(`${dovecot.mailDir('popuser')}/new`).length + readdirSync(`${dovecot.mailDir('popuser')}/cur`).length, 0, 'POP3: deleted after commit');
    await waitFor(async () => (await imapCount(dovecot, 'imapuser', 'INBOX')) === 0, 30_000, 'IMAP INBOX empty');
    assert.equal(await imapCount(dovecot, 'imapuser', 'Processed'), 2000, 'IMAP: moved to Processed');
  });

  it('commits a message APPENDed while the engine idles, without waiting for a poll', async () => {
    assert.ok(engine);
    await waitFor(() => engine?.output().includes('"mailbox":"idle@example.com"') ?? false, 30_000, 'idle mailbox polled once');
    await appendViaImap(dovecot, 'idleuser', 'pw', [mailOf('idle', 1)]);
    // pollingInterval is 1h: only IDLE can bring it in.
    await waitFor(async () => (await count('idle@example.com')) === 1, 30_000, 'IDLE delivery');
  });

  it('re-scans after a UIDVALIDITY change without losing or doubling a message', async () => {
    await appendViaImap(dovecot, 'keepuser', 'pw', [1, 2, 3].map((n) => mailOf('keep', n)));
    await waitFor(async () => (await count('keep@example.com')) === 3, 30_000, 'first three');
    await engine?.stop();
    // Recreate the folder: Dovecot gives it a new UIDVALIDITY; the old messages come back with new UIDs.
    rmSync(dovecot.mailDir('keepuser'), { recursive: true, force: true });
    await appendViaImap(dovecot, 'keepuser', 'pw', [1, 2, 3, 4, 5].map((n) => mailOf('keep', n)));
    engine = await startEngine({ cwd: dir, config, port: 0 });
    await waitFor(async () => (await count('keep@example.com')) === 5, 30_000, 'two new after the rescan');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await count('keep@example.com'), 5, 'still five: the three old ones were duplicates');
    assert.equal(await imapCount(dovecot, 'keepuser', 'INBOX'), 5, 'keep leaves them on the server');
  });

  it("a rule's moveTo moves the processed mail to its folder on the IMAP server, and says why when it cannot", async () => {
    await appendViaImap(dovecot, 'moveuser', 'pw', [mailOf('invoice', 1), mailOf('question', 2), mailOf('invoice', 3)]);
    await appendViaImap(dovecot, 'movedel', 'pw', [mailOf('invoice', 4)]);
    await waitFor(async () => (await imapCount(dovecot, 'moveuser', 'Billing')) === 2, 60_000, 'two invoices in Billing');
    assert.equal(await imapCount(dovecot, 'moveuser', 'INBOX'), 1, 'the question stays in INBOX');
    const moved = (await store.listMessages({ mailbox: 'moves@example.com', limit: 10 })).find((m) => m.subject === 'invoice 1');
    assert.ok(moved);
    const trace = (await store.getTrace(moved.id)).map((t) => `${t.concluded}: ${t.why}`).join('\n');
    assert.match(trace, /move queued/);
    // With afterProcessing: delete the mail left the server at intake: nothing to move, and the trace says so.
    await waitFor(async () => (await store.listMessages({ mailbox: 'movedel@example.com', limit: 10 }))[0]?.state === 'processed', 30_000, 'movedel processed');
    const gone = (await store.listMessages({ mailbox: 'movedel@example.com', limit: 10 }))[0];
    assert.ok(gone);
    const goneTrace = (await store.getTrace(gone.id)).map((t) => `${t.concluded}: ${t.why}`).join('\n');
    assert.match(goneTrace, /not moved to Billing: .*afterProcessing \(delete\).*keep or flag-seen/);
    assert.equal(await imapCount(dovecot, 'movedel', 'Billing'), -1, 'no Billing folder was made');
  });

  it('leaves a message over limits.messageSize on the server and goes on with the rest', async () => {
    const big = Buffer.concat([mailOf('big', 0), Buffer.alloc(2 * 1024 * 1024, 'x'), Buffer.from('\r\n')]);
    for (const user of ['bigpop', 'bigimap']) await deliverToMaildir(dovecot, user, [mailOf(user, 1), big, mailOf(user, 2)]);
    await waitFor(async () => (await count('bigpop@example.com')) === 2 && (await count('bigimap@example.com')) === 2, 30_000, 'small ones');
    // The small ones are stored before the session's DELEs take effect (at QUIT), so wait for those.
    const popLeft = (): number => readdirSync(`${dovecot.mailDir('bigpop')}/new`).length + readdirSync(`${dovecot.mailDir('bigpop')}/cur`).length;
    await waitFor(() => popLeft() === 1, 10_000, 'POP3: only the big one left');
    assert.equal(popLeft(), 1, 'POP3: the big one stays');
    await waitFor(async () => (await imapCount(dovecot, 'bigimap', 'INBOX')) === 1, 10_000, 'IMAP: only the big one left');
    assert.match(engine?.output() ?? '', /larger than limits\.messageSize left on the POP3 server/);
    assert.match(engine?.output() ?? '', /larger than limits\.messageSize left in the folder/);
  });

  it('`mailbox test` reports what would be fetched, or plainly what is wrong', async () => {
    const ok = await runCli(['-c', config, 'mailbox', 'test', 'keep@example.com', '--json'], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { count: number }).count, 5);

    const probe = async (o: BoxOptions, connector: 'pop3' | 'imap' = 'imap'): Promise<{ code: number; stdout: string; stderr: string }> => {
      const yaml = [`dataDir: ${dir}/probe-data`, 'mailboxes:', mailboxYaml(dovecot, 'x@example.com', 'keepuser', connector, o)].join('\n');
      return runCli(['-c', writeConfig(tempDir(), yaml), 'mailbox', 'test', 'x@example.com'], { cwd: dir });
    };
    const wrongPassword = await probe({ password: 'nope', settings: [] });
    assert.equal(wrongPassword.code, 1);
    assert.match(wrongPassword.stderr, /x@example\.com: FAILED: authentication failed/);
    const wrongPort = await probe({ port: await freePort(), settings: [] });
    assert.equal(wrongPort.code, 1);
    assert.match(wrongPort.stderr, /connection refused at 127\.0\.0\.1:\d+: wrong port, or the server is not running/);
    const missingFolder = await probe({ settings: ['folder: NoSuchFolder'] });
    assert.equal(missingFolder.code, 1);
    assert.match(missingFolder.stderr, /folder missing/);

    // TLS: implicit and STARTTLS/STLS work with the test server's self-signed certificate only
    // when verification is turned off explicitly; by default it is on and the error says so.
    const selfSigned = 'rejectUnauthorized: false';
    for (const connector of ['pop3', 'imap'] as const) {
      const implicitPort = connector === 'pop3' ? dovecot.pop3sPort : dovecot.imapsPort;
      const implicit = await probe({ port: implicitPort, tls: `tls: true, ${selfSigned}`, settings: [] }, connector);
      assert.equal(implicit.code, 0, `${connector} implicit TLS: ${implicit.stderr}`);
      const upgraded = await probe({ tls: `tls: starttls, ${selfSigned}`, settings: [] }, connector);
      assert.equal(upgraded.code, 0, `${connector} STARTTLS: ${upgraded.stderr}`);
      const verified = await probe({ port: implicitPort, tls: 'tls: true', settings: [] }, connector);
      assert.equal(verified.code, 1);
      assert.match(verified.stderr, /TLS: .*certificate/i);
    }
  });
});
