// Retention of raw mail, as an admin runs it: `postroom messages purge` (dry run, by age and
// state, by the config), and `postroom start` sweeping by `retention` on its own. The rows,
// traces and records stay; the raw bytes and the spool folder copy go.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { engineConfig, freePort, runCli, startEngine, tempDir, waitFor, writeConfig } from '../support/engine.ts';

interface Shown {
  id: number;
  state: string;
  rawPurged: boolean;
  record: string | null;
}

const mail = (n: number, extra = ''): string =>
  [`From: customer${n}@example.com`, 'To: support@localhost', `Subject: printer ${n}`, `Message-ID: <keep-${n}@example.com>`, extra, '', `The printer on floor ${n} is jammed.`, ''].join('\r\n');

// Nested deeper than limits.mimeDepth below: quarantined as failed.
const tooDeep = [
  'From: deep@example.com',
  'To: support@localhost',
  'Subject: nested',
  'Message-ID: <deep@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="a"',
  '',
  '--a',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: multipart/mixed; boundary="c"',
  '',
  '--c',
  'Content-Type: text/plain',
  '',
  'deep',
  '--c--',
  '--b--',
  '--a--',
  '',
].join('\r\n');

describe('retention of raw mail', () => {
  let dir: string;
  let config: string;
  const cli = (...args: string[]) => runCli(['-c', config, ...args], { cwd: dir });
  const list = async (): Promise<Shown[]> => JSON.parse((await cli('messages', 'list', '--json')).stdout) as Shown[];
  const shown = async (id: number): Promise<Shown> => JSON.parse((await cli('messages', 'show', String(id), '--json')).stdout) as Shown;

  before(async () => {
    dir = tempDir('postroom-retention-');
    config = writeConfig(dir, [`dataDir: ${dir}/data`, 'log: { level: warn }', 'limits: { mimeDepth: 2 }'].join('\n'));
    mkdirSync(join(dir, 'in'));
    for (const n of [1, 2, 3]) writeFileSync(join(dir, 'in', `${n}.eml`), mail(n));
    writeFileSync(join(dir, 'in', '4.eml'), tooDeep);
    const ingested = await cli('ingest', join(dir, 'in'), '--process');
    assert.equal(ingested.code, 0, ingested.stderr);
    assert.deepEqual((await list()).map((m) => m.state), ['processed', 'processed', 'processed', 'failed']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('with retention forever (the default) there is nothing due, and the error says what to set', async () => {
    const run = await cli('messages', 'purge');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /retention\.rawMail and retention\.failedMail are both forever.*--older-than.*retention\.rawMail/);
  });

  it('--dry-run counts what would go and changes nothing', async () => {
    const run = await cli('messages', 'purge', '--older-than', '0s', '--dry-run', '--json');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { dryRun: boolean; messages: number; bytes: number };
    assert.equal(report.dryRun, true);
    assert.equal(report.messages, 3, 'the three processed, not the failed one');
    assert.equal(report.bytes, [1, 2, 3].reduce((sum, n) => sum + Buffer.byteLength(mail(n)), 0));
    for (const m of await list()) assert.equal(m.rawPurged, false);
    assert.equal((await cli('messages', 'raw', '1')).stdout, mail(1));
  });

  it('deletes the raw mail and its spool copy of processed mail, keeps the row, the trace and the record', async () => {
    const before = await shown(1);
    const run = await cli('messages', 'purge', '--older-than', '0s', '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { dryRun: false, messages: 3, bytes: [1, 2, 3].reduce((sum, n) => sum + Buffer.byteLength(mail(n)), 0) });
    const after = await shown(1);
    assert.equal(after.rawPurged, true);
    assert.equal(after.state, 'processed');
    assert.equal(after.record, before.record, 'the record stays');
    const record = JSON.parse((await cli('records', 'show', before.record!, '--json')).stdout) as { entries: { text: string }[] };
    assert.match(record.entries[0]?.text ?? '', /floor 1 is jammed/);
    assert.ok((await cli('messages', 'trace', '1', '--json')).stdout.length > 2, 'the trace stays');
    const raw = await cli('messages', 'raw', '1');
    assert.equal(raw.code, 1);
    assert.match(raw.stderr, /raw bytes of message 1 were deleted .*retention/);
    assert.equal(existsSync(join(dir, 'data/spool/processed/1.eml')), false, 'out of the spool view');
    // The failed one is kept: failedMail is its own setting.
    assert.equal((await shown(4)).rawPurged, false);
    assert.ok(existsSync(join(dir, 'data/spool/failed/4.eml')));
    // Nothing is left to decide on again: reprocess says so instead of failing the message.
    const again = await cli('messages', 'reprocess', '1');
    assert.match(again.stdout, /^0 message\(s\) queued again/);
    assert.match(again.stderr, /1 not queued: .*raw mail was deleted/);
    assert.equal((await shown(1)).state, 'processed');
  });

  it('--state failed takes quarantined mail too; --state of a mail not final is refused', async () => {
    const refused = await cli('messages', 'purge', '--older-than', '0s', '--state', 'queued');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /only final mail is purged/);
    const run = await cli('messages', 'purge', '--older-than', '0s', '--state', 'failed', '--json');
    assert.equal((JSON.parse(run.stdout) as { messages: number }).messages, 1);
    assert.equal((await shown(4)).rawPurged, true);
    assert.equal(existsSync(join(dir, 'data/spool/failed/4.eml')), false);
  });

  it('postroom start sweeps by retention.rawMail on its own, and only mail past its time', async () => {
    const port = await freePort();
    const home = join(dir, 'engine');
    mkdirSync(join(home, 'later'), { recursive: true });
    writeFileSync(join(home, 'later', '5.eml'), mail(5));
    const engineFile = writeConfig(
      home,
      engineConfig({ dataDir: join(home, 'data'), url: '', port, extra: 'retention: { rawMail: 8s, sweepInterval: 500ms }' }),
    );
    const run = (...args: string[]) => runCli(['-c', engineFile, ...args], { cwd: home });
    const one = async (): Promise<Shown & { finishedAt: string | null }> =>
      (JSON.parse((await run('messages', 'list', '--json')).stdout) as (Shown & { finishedAt: string | null })[])[0]!;
    const engine = await startEngine({ cwd: home, config: engineFile, port });
    try {
      assert.equal((await run('ingest', join(home, 'later'))).code, 0);
      await waitFor(async () => (await one()).state === 'processed', 30_000, 'the mail processed');
      assert.equal((await one()).rawPurged, false, 'kept while younger than retention.rawMail');
      await waitFor(async () => (await one()).rawPurged, 30_000, 'the sweep to delete the raw mail');
      const finishedAt = Date.parse((await one()).finishedAt!);
      assert.ok(Date.now() - finishedAt >= 8_000, 'deleted only once 8 s old');
      assert.equal(existsSync(join(home, 'data/spool/processed/1.eml')), false);
      await waitFor(() => engine.output().includes('retention: raw mail past its time deleted'), 5_000, 'the sweep logged');
    } finally {
      assert.equal(await engine.stop(), 0, 'the engine stops cleanly with a sweep scheduled');
    }
  });
});
