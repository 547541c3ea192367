// Must-show "hostile input": hundreds of generated bad messages go through spool → runner. Each one
// ends processed or failed with a reason, the worker never dies, the good mail after them is
// processed, and nothing is written outside the data folder. Once in-process (the runner as the
// engine runs it) and once through `postroom ingest --process`, as a user would run it.
import { defaultPrefixes, mailboxSettings, testSigning } from '../support/settings.ts';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { errorCodes } from '../../src/core/errors.ts';
import type { MessageRow, MessageState } from '../../src/core/message.ts';
import { newOwnerId } from '../../src/core/owner-id.ts';
import { spoolRaw, type SpoolContext } from '../../src/intake/spool-writer.ts';
import { Runner, type RunnerContext } from '../../src/runner.ts';
import { openBlobs } from '../../src/store/blobs/tiered-blobs.ts';
import { SpoolView } from '../../src/store/blobs/spool-view.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { runCli, silentLog, tempDir, writeConfig, type TestStore } from '../support/engine.ts';
import {
  goodMail,
  hostileCorpus,
  hostileExpectations,
  type HostileMessage,
} from '../support/hostile-mail.ts';

const MB = 1024 * 1024;
const limits = {
  headerSize: MB,
  mimeDepth: 20,
  parts: 500,
  attachments: 100,
  attachmentsTotalSize: 250 * MB,
};
const settings = {
  concurrency: 4,
  leaseSeconds: 60,
  pollInterval: 50,
  maxAttempts: 3,
  backoff: { base: 1, max: 1 },
};
const mailbox = 'support@localhost';
const pendingStates: readonly MessageState[] = ['queued', 'processing', 'deferred'];
/** Names a path-traversal attachment would have produced had its name become a path. */
const forbiddenNames = new Set([
  'passwd',
  'shadow',
  'con.txt',
  '_con.txt',
  'x.dll',
  'authorized_keys',
  'win.ini',
  'payload.exe',
  'evil.sh',
]);

/** openTestStore('sqlite'), but with the data folder at a path we choose (inside a fresh parent). */
async function openSqliteIn(dataDir: string): Promise<TestStore> {
  mkdirSync(dataDir, { recursive: true });
  const store = await openStore('', dataDir);
  return {
    store,
    blobs: openBlobs(dataDir, store),
    dataDir,
    url: '',
    async cleanup() {
      await store.close();
    },
  };
}

/** Every file under `dir` (relative paths, sorted); folders that vanish mid-walk are skipped. */
function filesUnder(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = rel === '' ? entry.name : join(rel, entry.name);
      if (skip(path)) continue;
      if (entry.isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk('');
  return out.sort();
}

function suspiciousFiles(dir: string, skip?: (rel: string) => boolean): string[] {
  return filesUnder(dir, skip).filter((rel) => forbiddenNames.has(basename(rel).toLowerCase()));
}

function mtimeOf(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

const systemFiles = ['/etc/passwd', '/etc/shadow', '/etc/hosts'];
/** Git's object store is named by hashes only; everything else under the cwd is searched. */
const skipGit = (rel: string): boolean => rel === '.git';

/** Why a catalogued attachment name is not a safe display name (usable as a path), or null. */
function unsafeFilename(filename: string): string | null {
  if (filename.length === 0 || filename.length > 200) return `has length ${filename.length}`;
  if (filename.includes('/')) return 'contains /';
  if (filename.includes('\\')) return 'contains \\';
  if (filename.startsWith('.')) return 'starts with a dot';
  if (/[\u0000-\u001f\u007f]/.test(filename)) return 'contains a control character';
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(filename)) return 'is a Windows device name';
  return null;
}

/** Checks each message against the expectations of its case; all mismatches are reported at once. */
async function checkOutcomes(store: Store, byName: ReadonlyMap<string, MessageRow>): Promise<void> {
  const problems: string[] = [];
  const check = (ok: unknown, problem: string): void => {
    if (!ok) problems.push(problem);
  };
  for (const [name, row] of byName) {
    const where = `${name} (message ${row.id})`;
    const got = `${row.state}${row.errorCode ? ` ${row.errorCode}: ${row.error}` : ''}`;
    check(row.state === 'processed' || row.state === 'failed', `${where}: ended ${got}`);
    if (row.state === 'failed') {
      check(
        row.errorCode && Object.hasOwn(errorCodes, row.errorCode),
        `${where}: failed with error code ${row.errorCode}, not one of the registry`,
      );
      check(row.error && row.error.trim().length > 0, `${where}: failed without a reason`);
    } else {
      check(row.errorCode === null, `${where}: ${got}, but carries an error code`);
    }
    const attachments = await store.listAttachments(row.id);
    for (const a of attachments) {
      const unsafe = unsafeFilename(a.filename);
      check(unsafe === null, `${where}: attachment ${a.ordinal} ${JSON.stringify(a.filename)} ${unsafe}`);
    }

    const expected = hostileExpectations[name];
    if (!expected) continue;
    if (expected.errorCode !== undefined) {
      const codes = typeof expected.errorCode === 'string' ? [expected.errorCode] : expected.errorCode;
      check(
        row.state === 'failed' && row.errorCode !== null && codes.includes(row.errorCode),
        `${where}: expected failed ${codes.join(' or ')}, got ${got}`,
      );
    }
    if (expected.processed) check(row.state === 'processed', `${where}: expected processed, got ${got}`);
    if (expected.filenames) {
      const names = attachments.map((a) => a.filename);
      check(
        JSON.stringify(names) === JSON.stringify(expected.filenames),
        `${where}: expected attachments ${JSON.stringify(expected.filenames)}, got ${JSON.stringify(names)}`,
      );
    }
    if (expected.minAttachments !== undefined) {
      check(
        attachments.length >= expected.minAttachments,
        `${where}: expected at least ${expected.minAttachments} attachments, got ${attachments.length}`,
      );
    }
  }
  assert.deepEqual(problems, [], `${problems.length} message(s) ended wrongly`);
}

describe('hostile input', { timeout: 120_000 }, () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('every hostile message ends processed or failed with a reason, the worker survives, the next good mail is processed, nothing is written outside the data folder', async () => {
    const corpus = hostileCorpus();
    assert.ok(corpus.length >= 200, `only ${corpus.length} hostile messages`);
    assert.equal(new Set(corpus.map((m) => m.name)).size, corpus.length, 'case names are unique');

    const parent = tempDir('postroom-hostile-');
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const dataDir = join(parent, 'data');
    const cwd = process.cwd();
    const parentBefore = filesUnder(parent);
    const cwdSuspiciousBefore = suspiciousFiles(cwd, skipGit);
    const systemBefore = systemFiles.map(mtimeOf);

    const ts = await openSqliteIn(dataDir);
    cleanups.push(() => ts.cleanup());
    const { store, blobs } = ts;
    const view = new SpoolView(dataDir, blobs);
    const spoolContext: SpoolContext = {
      store,
      blobs,
      maxMessageSize: 300 * MB,
      now: Date.now,
      onSpooled: async (rows) => {
      for (const row of rows) await view.show(row.id, row.sha256, 'queued', { bytes: row.bytes, fresh: !row.duplicate });
    },
    };
    const spool = async (m: HostileMessage): Promise<number> => {
      const result = await spoolRaw(spoolContext, Readable.from([m.raw]), {
        mailboxes: [mailbox],
        source: 'file',
        origin: `hostile/${m.name}`,
      });
      const row = result.rows[0];
      assert.ok(row, `${m.name}: no spool row`);
      assert.equal(row.duplicate, false, `${m.name}: spooled as a duplicate of another case`);
      assert.equal(result.size, m.raw.length, `${m.name}: raw size`);
      return row.id;
    };

    const spoolStarted = Date.now();
    const idOf = new Map<string, number>();
    for (const m of corpus) idOf.set(m.name, await spool(m));
    const good = { name: 'good-after-the-storm', raw: goodMail('after-the-storm') };
    const goodId = await spool(good);
    assert.ok(goodId > Math.max(...idOf.values()), 'the good mail is spooled last');
    const spoolMs = Date.now() - spoolStarted;

    // The worker must survive on its own: nothing may escape as an uncaught error.
    const escaped: unknown[] = [];
    const onEscape = (err: unknown): void => {
      escaped.push(err);
    };
    const stopWatching = (): void => {
      process.off('uncaughtException', onEscape);
      process.off('unhandledRejection', onEscape);
    };
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);
    cleanups.push(stopWatching);

    const ctx: RunnerContext = {
      store,
      blobs,
      showInSpool: (id, sha256, state) => view.show(id, sha256, state),
      settings,
      mailboxes: [mailboxSettings(mailbox, { loopbackDetectionInterval: 0 })],
      recordTypes: { CASE: { prefix: 'CASE', digits: 7 } },
      prefixes: defaultPrefixes,
    signing: testSigning,
      limits,
      log: silentLog,
      owner: newOwnerId(),
      now: Date.now,
    };
    const runner = new Runner(ctx);
    const started = Date.now();
    const deadline = started + 60_000;
    for (;;) {
      await runner.drain();
      const { byState } = await store.status();
      const pending = pendingStates.reduce((n, s) => n + (byState[s] ?? 0), 0);
      if (pending === 0) break;
      if (Date.now() > deadline)
        assert.fail(`still ${pending} message(s) pending after 60 s: ${JSON.stringify(byState)}`);
      // Deferred messages (temporary errors) come due after the 1 s backoff.
      await new Promise((r) => setTimeout(r, 200));
    }
    const drainMs = Date.now() - started;

    const rows = await store.listMessages({ limit: 100_000 });
    assert.equal(rows.length, corpus.length + 1, 'one spool row per message');
    const byId = new Map(rows.map((r) => [r.id, r]));
    const byName = new Map<string, MessageRow>();
    for (const [name, id] of idOf) {
      const row = byId.get(id);
      assert.ok(row, `${name}: spool row ${id} is gone`);
      byName.set(name, row);
    }
    await checkOutcomes(store, byName);

    // The good mail after all of them: processed, with a record.
    const goodRow = byId.get(goodId);
    assert.equal(
      goodRow?.state,
      'processed',
      `good mail: ${goodRow?.state} (${goodRow?.errorCode}: ${goodRow?.error})`,
    );
    assert.ok(goodRow.recordId !== null, 'good mail has a record');
    const record = await store.getRecord(goodRow.recordId);
    assert.match(record?.number ?? '', /^CASE\d{7}$/);
    assert.equal(record?.subject, 'Printer on floor 3 is broken (after-the-storm)');
    assert.equal(record?.requester, 'alice@example.com');

    // The path-traversal cases were catalogued, under their last segment at most.
    for (const [name, row] of byName) {
      if (!name.startsWith('filename-')) continue;
      assert.equal(row.state, 'processed', `${name}: ${row.state} (${row.errorCode}: ${row.error})`);
      const attachments = await store.listAttachments(row.id);
      assert.ok(attachments.length >= 1, `${name}: attachment not catalogued`);
      for (const a of attachments)
        assert.ok(await blobs.exists(a.sha256), `${name}: attachment bytes missing from blob storage`);
    }

    // ...and it keeps working: the long-running loop processes the next good mail too.
    const nextId = await spool({ name: 'good-next', raw: goodMail('next') });
    await runner.start();
    try {
      const until = Date.now() + 15_000;
      while ((await store.getMessage(nextId))?.state !== 'processed') {
        assert.ok(
          Date.now() < until,
          `next good mail not processed: ${JSON.stringify(await store.getMessage(nextId))}`,
        );
        runner.notify();
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await runner.stop();
    }
    assert.ok((await store.getMessage(nextId))?.recordId, 'next good mail has a record');

    // The worker (this process) is alive and nothing escaped it.
    stopWatching();
    assert.deepEqual(escaped, [], 'errors escaped the runner');
    assert.equal(process.kill(process.pid, 0), true);

    // The admin's spool view holds each message in the folder of its final state.
    for (const row of await store.listMessages({ limit: 100_000 })) {
      const folder = row.state === 'processed' ? 'processed' : 'failed';
      assert.ok(
        existsSync(join(dataDir, 'spool', folder, `${row.id}.eml`)),
        `message ${row.id}: not in spool/${folder}`,
      );
      assert.ok(
        !existsSync(join(dataDir, 'spool', 'incoming', `${row.id}.eml`)),
        `message ${row.id}: still in spool/incoming`,
      );
    }

    // Nothing outside the data folder: new files only under data/, no traversal names anywhere.
    const before = new Set(parentBefore);
    const outside = filesUnder(parent).filter((rel) => !before.has(rel) && !rel.startsWith(`data${sep}`));
    assert.deepEqual(outside, [], 'files written outside the data folder');
    assert.deepEqual(suspiciousFiles(parent), [], 'a traversal name became a file under the temp parent');
    assert.deepEqual(
      suspiciousFiles(cwd, skipGit),
      cwdSuspiciousBefore,
      'a traversal name became a file under the cwd',
    );
    assert.deepEqual(systemFiles.map(mtimeOf), systemBefore, 'a system file was touched');
    // Every blob is named by its hash; aborted attachment writes leave no temp files behind.
    for (const rel of filesUnder(join(dataDir, 'blobs')))
      assert.match(basename(rel), /^[0-9a-f]{64}$/, `unexpected blob file ${rel}`);
    assert.deepEqual(filesUnder(join(dataDir, 'tmp')), [], 'temp files left in data/tmp');

    const failed = [...byName].filter(([, r]) => r.state === 'failed');
    console.log(
      `hostile input: ${corpus.length} hostile messages + the good mail spooled in ${spoolMs} ms, drained in ${drainMs} ms; ` +
        `${corpus.length - failed.length} processed, ${failed.length} failed: ${failed.map(([name, r]) => `${name}=${r.errorCode}`).join(', ')}`,
    );
  });

  it('postroom ingest --process handles hostile files as a user would run it', async () => {
    const corpus = new Map(hostileCorpus().map((m) => [m.name, m.raw]));
    const picked = [
      'filename-etc-passwd-disposition',
      'filename-windows-dll-disposition',
      'filename-etc-shadow-disposition',
      'filename-con-txt-disposition',
      'filename-percent-rfc2231-traversal',
      'nested-multipart-50',
      'header-line-5mb',
      'attachments-150',
      'charset-utf-7-script',
      'nul-in-body',
    ];
    // One truncated multipart from the middle of that family.
    const truncated = [...corpus.keys()].filter((n) => n.startsWith('truncated-at-'));
    picked.push(truncated[Math.floor(truncated.length / 2)] ?? 'truncated-at-missing');
    const parent = tempDir('postroom-hostile-cli-');
    cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
    const dataDir = join(parent, 'data');
    const inbox = join(parent, 'inbox');
    const junk = join(parent, 'junk');
    mkdirSync(inbox);
    mkdirSync(junk);
    picked.forEach((name, i) => {
      const raw = corpus.get(name);
      assert.ok(raw, `no case ${name}`);
      writeFileSync(join(inbox, `${String(i).padStart(2, '0')}-${name}.eml`), raw);
    });
    writeFileSync(join(inbox, '99-good.eml'), goodMail('cli'));
    // Not mail to `postroom ingest`: random bytes, and a file whose only line breaks are bare CRs
    // (no LF, so no header line can be found; mailparser sees no headers in it either).
    const notMail = ['garbage-4096', 'eol-cr-only', 'nul-at-start'];
    for (const name of notMail) {
      const raw = corpus.get(name);
      assert.ok(raw, `no case ${name}`);
      writeFileSync(join(junk, `${name}.eml`), raw);
    }
    const config = writeConfig(
      parent,
      [
        'log: { level: warn }',
        'runner: { concurrency: 4, pollInterval: 50ms, maxAttempts: 3, backoff: { base: 1s, max: 1s } }',
        'limits: { headerSize: 1MB, mimeDepth: 20, parts: 500, attachments: 100, attachmentsTotalSize: 250MB }',
        'recordTypes: { CASE: { prefix: CASE, digits: 7 } }',
        'mailboxes: [{ address: support@localhost, recordType: CASE }]',
      ].join('\n'),
    );
    const env = { POSTROOM_DATA_DIR: dataDir };
    const parentBefore = new Set(filesUnder(parent));
    const cwdSuspiciousBefore = suspiciousFiles(process.cwd(), skipGit);
    const systemBefore = systemFiles.map(mtimeOf);

    // Mail, however broken, is stored and processed: exit 0 (EX_OK).
    const run = await runCli(['-c', config, 'ingest', inbox, '--process', '--json'], { cwd: parent, env });
    assert.equal(run.code, 0, `ingest exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    const reports = JSON.parse(run.stdout) as { origin: string; result: string; id?: number }[];
    assert.equal(reports.length, picked.length + 1);
    for (const r of reports) assert.equal(r.result, 'stored', `${r.origin}: ${r.result}`);

    // What is not mail at all is refused with 65 (EX_DATAERR), each file named, and nothing is stored.
    const refused = await runCli(['-c', config, 'ingest', junk, '--process'], { cwd: parent, env });
    assert.equal(
      refused.code,
      65,
      `junk ingest exit ${refused.code}\nstdout: ${refused.stdout}\nstderr: ${refused.stderr}`,
    );
    for (const name of notMail)
      assert.match(refused.stderr, new RegExp(`${name}\\.eml: not an email message`));
    assert.match(refused.stdout, /stored 0, duplicates 0, not mail 3, failed 0/);
    const single = await runCli(['-c', config, 'ingest', join(junk, 'garbage-4096.eml')], {
      cwd: parent,
      env,
    });
    assert.equal(single.code, 65, `garbage ingest exit ${single.code}\nstderr: ${single.stderr}`);

    const ts = await openSqliteIn(dataDir);
    cleanups.push(() => ts.cleanup());
    const rows = await ts.store.listMessages({ limit: 1000 });
    assert.equal(rows.length, picked.length + 1, 'the garbage file was not stored');
    const byName = new Map<string, MessageRow>();
    for (const r of reports) {
      const row = rows.find((m) => m.id === r.id);
      assert.ok(row, `${r.origin}: no row`);
      byName.set(basename(r.origin, '.eml').replace(/^\d\d-/, ''), row);
    }
    const goodRow = byName.get('good');
    byName.delete('good');
    await checkOutcomes(ts.store, byName);
    assert.equal(
      goodRow?.state,
      'processed',
      `good mail: ${goodRow?.state} (${goodRow?.errorCode}: ${goodRow?.error})`,
    );
    assert.ok(goodRow.recordId !== null);

    const outside = filesUnder(parent).filter(
      (rel) => !parentBefore.has(rel) && !rel.startsWith(`data${sep}`),
    );
    assert.deepEqual(outside, [], 'files written outside the data folder');
    assert.deepEqual(suspiciousFiles(parent), [], 'a traversal name became a file under the temp parent');
    assert.deepEqual(
      suspiciousFiles(process.cwd(), skipGit),
      cwdSuspiciousBefore,
      'a traversal name became a file under the cwd',
    );
    assert.deepEqual(systemFiles.map(mtimeOf), systemBefore, 'a system file was touched');
  });
});
