// `postroom status --check` as a monitoring system runs it: the real CLI on a real data folder,
// the verdict line first and the exit code Nagios reads (0 ok, 1 warning, 2 critical).
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir, writeConfig } from '../support/engine.ts';

describe('postroom status --check', () => {
  let dir: string;
  let config: string;
  const cli = (...args: string[]) => runCli(['-c', config, ...args], { cwd: dir });

  before(() => {
    dir = tempDir('postroom-check-');
    config = writeConfig(dir, [`dataDir: ${dir}/data`, 'log: { level: warn }', 'limits: { mimeDepth: 1 }'].join('\n'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a fresh install is ok: exit 0', async () => {
    const run = await cli('status', '--check');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.split('\n')[0], 'POSTROOM OK - mail is moving, nothing to look at');
  });

  it('mail nobody processes becomes critical past --max-queue-age: exit 2', async () => {
    writeFileSync(join(dir, 'waiting.eml'), 'From: a@example.com\r\nTo: support@localhost\r\nSubject: waiting\r\n\r\nhello\r\n');
    assert.equal((await cli('ingest', join(dir, 'waiting.eml'))).code, 0);
    assert.equal((await cli('status', '--check')).code, 0, 'young mail waiting is fine (default 15m)');
    await new Promise((r) => setTimeout(r, 2_100));
    const run = await cli('status', '--check', '--max-queue-age', '1s', '--json');
    assert.equal(run.code, 2);
    const report = JSON.parse(run.stdout) as { check: { status: string; problems: string[] } };
    assert.equal(report.check.status, 'critical');
    assert.match(report.check.problems[0] ?? '', /^mail waiting \d+s \(more than 1s\): is postroom start running\?$/);
  });

  it('quarantined mail is a warning once the queue is empty: exit 1', async () => {
    const nested = 'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n--a--\r\n';
    writeFileSync(join(dir, 'deep.eml'), `From: b@example.com\r\nTo: support@localhost\r\nSubject: deep\r\nMIME-Version: 1.0\r\n${nested}`);
    assert.equal((await cli('ingest', join(dir, 'deep.eml'), '--process')).code, 0);
    const run = await cli('status', '--check');
    assert.equal(run.code, 1, run.stdout);
    assert.equal(run.stdout.split('\n')[0], 'POSTROOM WARNING - 1 failed message(s) in quarantine (postroom messages list --state failed)');
    assert.match(run.stdout, /MAILBOX/, 'the usual report follows the verdict line');
  });

  it('a bad --max-queue-age names the flag', async () => {
    const run = await cli('status', '--check', '--max-queue-age', 'soon');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--max-queue-age: "soon" is not a valid duration/);
  });
});
