// Parse and apply through the real runner on SQLite: charsets, inline cid parts, attachments,
// Siebel's "delete processed messages", and reprocessing a quarantined message after a fix.
import { defaultPrefixes, mailboxSettings, testSigning } from '../support/settings.ts';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { spoolRaw } from '../../src/intake/spool-writer.ts';
import { Runner, type RunnerContext } from '../../src/runner.ts';
import { SpoolView } from '../../src/store/blobs/spool-view.ts';
import { openTestStore, silentLog, type TestStore } from '../support/engine.ts';

const limits = { headerSize: 1 << 20, mimeDepth: 20, parts: 500, attachments: 100, attachmentsTotalSize: 250 << 20 };

function context(t: TestStore, overrides: Partial<RunnerContext> = {}): RunnerContext {
  const view = new SpoolView(t.dataDir, t.blobs);
  return {
    store: t.store,
    blobs: t.blobs,
    showInSpool: (id, sha, state) => view.show(id, sha, state),
    settings: { concurrency: 4, leaseSeconds: 60, pollInterval: 50, maxAttempts: 3, backoff: { base: 1, max: 1 } },
    mailboxes: [
      mailboxSettings('support@localhost', { loopbackDetectionInterval: 0 }),
      mailboxSettings('drop@localhost', { deleteProcessed: true, loopbackDetectionInterval: 0 }),
    ],
    recordTypes: { CASE: { prefix: 'CASE', digits: 7 } },
    prefixes: defaultPrefixes,
    signing: testSigning,
    limits,
    log: silentLog,
    owner: 'test/1/x',
    now: Date.now,
    ...overrides,
  };
}

async function spool(t: TestStore, raw: string | Buffer, mailbox = 'support@localhost'): Promise<number> {
  const stored = await spoolRaw(
    { store: t.store, blobs: t.blobs, maxMessageSize: 50 << 20, now: Date.now },
    Readable.from([Buffer.from(raw)]),
    { mailboxes: [mailbox], source: 'file', origin: 'test' },
  );
  const row = stored.rows[0];
  assert.ok(row);
  return row.id;
}

const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

const multipart = [
  'From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.de>',
  'To: support@localhost',
  'Subject: =?KOI8-R?B?8NLJ18XU?= and =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=',
  'Message-ID: <mp1@example.de>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  '--outer',
  'Content-Type: multipart/related; boundary="rel"',
  '',
  '--rel',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  '--alt',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Gr=FC=DFe aus K=F6ln',
  '--alt',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p>Grüße aus Köln <img src="cid:logo@x"></p>',
  '--alt--',
  '--rel',
  'Content-Type: image/png',
  'Content-ID: <logo@x>',
  'Content-Disposition: inline',
  'Content-Transfer-Encoding: base64',
  '',
  png.toString('base64'),
  '--rel--',
  '--outer',
  'Content-Type: application/pdf; name="../../etc/passwd"',
  'Content-Disposition: attachment; filename="../../etc/passwd"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.4 test').toString('base64'),
  '--outer--',
  '',
].join('\r\n');

describe('processing', () => {
  let t: TestStore;
  before(async () => {
    t = await openTestStore('sqlite');
  });
  after(() => t.cleanup());

  it('decodes charsets, maps inline cid parts and catalogues attachments under safe names', async () => {
    const id = await spool(t, multipart);
    await new Runner(context(t)).drain();
    const m = await t.store.getMessage(id);
    assert.equal(m?.state, 'processed', m?.error ?? '');
    assert.equal(m?.subject, 'Привет and 日本語');
    const record = await t.store.getRecord(m?.recordId ?? -1);
    assert.equal(record?.firstText, 'Grüße aus Köln');
    assert.equal(record?.requester, 'joerg@example.de');
    const attachments = await t.store.listAttachments(id);
    assert.equal(attachments.length, 2);
    const logo = attachments.find((a) => a.contentId === 'logo@x');
    assert.equal(logo?.inline, true);
    assert.equal(logo?.size, png.length);
    const pdf = attachments.find((a) => a.contentType === 'application/pdf');
    assert.equal(pdf?.filename, 'passwd');
    assert.equal(pdf?.inline, false);
    assert.ok(pdf && (await t.blobs.exists(pdf.sha256)));
  });

  it('deletes processed raw mail when the mailbox says so, keeping the record', async () => {
    const raw = 'From: a@example.com\r\nTo: drop@localhost\r\nSubject: purge me\r\nMessage-ID: <purge@x>\r\n\r\nkeep this text\r\n';
    const id = await spool(t, raw, 'drop@localhost');
    await new Runner(context(t)).drain();
    const m = await t.store.getMessage(id);
    assert.equal(m?.state, 'processed');
    assert.equal(m?.rawPurged, true);
    assert.equal(await t.blobs.exists(m?.rawSha256 ?? ''), false);
    assert.equal(existsSync(`${t.dataDir}/spool/processed/${id}.eml`), false);
    assert.equal((await t.store.getRecord(m?.recordId ?? -1))?.firstText, 'keep this text');
  });

  it('quarantines a message over a limit with the reason, and reprocesses it after the limit is raised', async () => {
    let nested = 'Content-Type: text/plain\r\n\r\ndeep\r\n';
    for (let i = 0; i < 5; i++) nested = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${nested}--b${i}--\r\n`;
    const raw = `From: deep@example.com\r\nTo: support@localhost\r\nSubject: nested\r\nMessage-ID: <deep@x>\r\nMIME-Version: 1.0\r\n${nested}`;
    const id = await spool(t, raw);
    await new Runner(context(t, { limits: { ...limits, mimeDepth: 3 } })).drain();
    const failed = await t.store.getMessage(id);
    assert.equal(failed?.state, 'failed');
    assert.equal(failed?.errorCode, 'mime_too_deep');
    assert.match(failed?.error ?? '', /limits\.mimeDepth/);
    assert.ok(existsSync(`${t.dataDir}/spool/failed/${id}.eml`), 'visible in spool/failed');

    assert.equal(await t.store.requeue({ state: 'failed' }, Date.now()), 1);
    await new Runner(context(t)).drain();
    const fixed = await t.store.getMessage(id);
    assert.equal(fixed?.state, 'processed');
    assert.equal(fixed?.errorCode, null);
    assert.ok(existsSync(`${t.dataDir}/spool/processed/${id}.eml`));
    assert.equal(existsSync(`${t.dataDir}/spool/failed/${id}.eml`), false);
  });

  it('reprocessing a processed message keeps its one record', async () => {
    const id = await spool(t, 'From: r@example.com\r\nTo: support@localhost\r\nSubject: once\r\nMessage-ID: <once@x>\r\n\r\nonce\r\n');
    await new Runner(context(t)).drain();
    const first = await t.store.getMessage(id);
    const recordsBefore = (await t.store.listRecords(1000)).length;
    assert.equal(await t.store.requeue({ ids: [id] }, Date.now()), 1);
    await new Runner(context(t)).drain();
    const again = await t.store.getMessage(id);
    assert.equal(again?.state, 'processed');
    assert.equal(again?.recordId, first?.recordId);
    assert.equal((await t.store.listRecords(1000)).length, recordsBefore);
    assert.ok((await t.store.getTrace(id)).some((s) => s.why === 'this message was already applied'));
  });
});
