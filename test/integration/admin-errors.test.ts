// What an admin can get wrong, and what happens when a dependency fails: one clear paragraph,
// a non-zero exit, and — for the store being down — a temporary answer so no mail is lost.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { engineConfig, freePort, runCli, startEngine, tempDir, writeConfig } from '../support/engine.ts';
import { createDatabase, startPostgres } from '../support/postgres.ts';

const goodMail = 'From: a@example.com\r\nTo: support@localhost\r\nSubject: hi\r\nMessage-ID: <e1@example.com>\r\n\r\nhello\r\n';

describe('admin errors', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const dir = (): string => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };

  it('a wrong config names every bad key, what is wrong and an example, and exits 78', async () => {
    const d = dir();
    const config = writeConfig(d, ['smpt: { port: 25 }', 'smtp: { port: 70000 }', 'limits: { messageSize: 50 parsecs }'].join('\n'));
    const result = await runCli(['-c', config, 'status'], { cwd: d });
    assert.equal(result.code, 78);
    assert.match(result.stderr, /smpt: unknown key/);
    assert.match(result.stderr, /smtp\.port: .*65535/);
    assert.match(result.stderr, /limits\.messageSize: .*Example: limits\.messageSize: /);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('a missing named config file suggests postroom init, which writes one that works', async () => {
    const d = dir();
    const missing = await runCli(['-c', `${d}/nope.yaml`, 'status'], { cwd: d });
    assert.equal(missing.code, 78);
    assert.match(missing.stderr, /postroom init/);
    const init = await runCli(['init'], { cwd: d });
    assert.equal(init.code, 0, init.stderr);
    const status = await runCli(['status', '--json'], { cwd: d });
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { database: string }).database, 'sqlite');
  });

  it('an SMTP port in use is named with the fix', async () => {
    const d = dir();
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const config = writeConfig(d, engineConfig({ dataDir: `${d}/data`, url: '', port }));
      const result = await runCli(['-c', config, 'start'], { cwd: d });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`127\\.0\\.0\\.1:${port}: the port is in use.*smtp\\.port`));
    } finally {
      blocker.close();
    }
  });

  it('an HTTP port in use is named with the fix, and the engine does not stay half up', async () => {
    const d = dir();
    const port = await freePort();
    const httpPort = await freePort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(httpPort, '127.0.0.1', () => r()));
    try {
      const config = writeConfig(d, engineConfig({ dataDir: `${d}/data`, url: '', port, extra: `http: { enabled: true, port: ${httpPort} }` }));
      const result = await runCli(['-c', config, 'start'], { cwd: d });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`Cannot listen for HTTP on 127\\.0\\.0\\.1:${httpPort}: the port is in use.*http\\.port.*POSTROOM_HTTP_PORT`));
    } finally {
      blocker.close();
    }
  });

  it('an unwritable data folder is named with the fix', { skip: process.getuid?.() === 0 ? 'root can write anywhere' : false }, async () => {
    const d = dir();
    mkdirSync(`${d}/ro`);
    chmodSync(`${d}/ro`, 0o500);
    const result = await runCli(['status'], { cwd: d, env: { POSTROOM_DATA_DIR: `${d}/ro/data` } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /dataDir/);
  });

  it('a data folder that is a file is named with the fix', async () => {
    const d = dir();
    writeFileSync(`${d}/data`, 'not a folder');
    const result = await runCli(['status'], { cwd: d, env: { POSTROOM_DATA_DIR: `${d}/data` } });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /data folder .* cannot be created or written.*dataDir/s);
  });

  it('ingest exits 65 for something that is not mail and 64 for an unknown mailbox', async () => {
    const d = dir();
    writeFileSync(`${d}/garbage.bin`, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    const garbage = await runCli(['ingest', `${d}/garbage.bin`], { cwd: d });
    assert.equal(garbage.code, 65);
    assert.match(garbage.stderr, /not an email message/);
    const unknown = await runCli(['ingest', '-', '--mailbox', 'nobody@localhost'], { cwd: d, input: goodMail });
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /not a configured mailbox/);
  });

  it('with PostgreSQL down, ingest exits 75, SMTP answers 451 and the engine keeps running', async () => {
    const pg = await startPostgres();
    const d = dir();
    let engine;
    try {
      const url = await createDatabase(pg.url, 'outage');
      const port = await freePort();
      const config = writeConfig(d, engineConfig({ dataDir: `${d}/data`, url, port }));
      engine = await startEngine({ cwd: d, config, port });
      await pg.stop();

      const ingest = await runCli(['-c', config, 'ingest', '-'], { cwd: d, input: goodMail });
      assert.equal(ingest.code, 75, ingest.stderr);
      assert.match(ingest.stderr, /PostgreSQL|database/);

      const running = engine;
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      await assert.rejects(
        transport.sendMail({ envelope: { from: 'a@example.com', to: ['support@localhost'] }, raw: goodMail }),
        (err: Error & { responseCode?: number }) => {
          assert.equal(err.responseCode, 451, `${err.message}\nengine (exit ${running.child.exitCode}):\n${running.output()}`);
          return true;
        },
      );
      transport.close();
      assert.equal(engine.child.exitCode, null, `the engine keeps running through the outage:\n${engine.output()}`);
    } finally {
      await engine?.kill();
      await pg.stop().catch(() => undefined);
    }
  });
});
