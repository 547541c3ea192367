// The spool folder view after an unclean stop: intake shows mail behind its commit and a worker
// moves it after its own, so a kill in between leaves mail shown in the wrong folder or in none.
// The repair at start puts every message since the last mark where its state says.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { markSpoolViewWhole, repairSpoolView } from '../../src/cli/spool-visibility.ts';
import { spoolBuffered } from '../../src/intake/spool-writer.ts';
import { Runner } from '../../src/runner.ts';
import { SpoolView } from '../../src/store/blobs/spool-view.ts';
import { mailboxSettings, defaultPrefixes, testSigning } from '../support/settings.ts';
import { openTestStore, silentLog, type TestStore } from '../support/engine.ts';

const mail = (n: number): Buffer => Buffer.from(`From: user${n}@example.com\r\nTo: support@localhost\r\nSubject: mail ${n}\r\nMessage-ID: <${n}@x>\r\n\r\nbody ${n}\r\n`);

async function spool(t: TestStore, from: number, count: number): Promise<number[]> {
  const spooled = await spoolBuffered(
    { store: t.store, blobs: t.blobs, maxMessageSize: 1 << 20, now: Date.now },
    Array.from({ length: count }, (_, i) => ({ bytes: mail(from + i), target: { mailboxes: ['support@localhost'], source: 'file' as const, origin: 'test' } })),
  );
  return spooled.map((s) => s.rows[0]?.id ?? 0);
}

/** Processes what is queued, as a worker killed before each of its view moves would: nothing shown. */
async function processUnshown(t: TestStore): Promise<void> {
  await new Runner({
    store: t.store,
    blobs: t.blobs,
    settings: { concurrency: 2, leaseSeconds: 60, pollInterval: 50, maxAttempts: 3, backoff: { base: 1, max: 1 } },
    mailboxes: [mailboxSettings('support@localhost', { loopbackDetectionInterval: 0 })],
    recordTypes: { CASE: { prefix: 'CASE', digits: 7 } },
    prefixes: defaultPrefixes,
    signing: testSigning,
    limits: { headerSize: 1 << 20, mimeDepth: 20, parts: 500, attachments: 100, attachmentsTotalSize: 250 << 20 },
    log: silentLog,
    owner: 'test/1/x',
    now: Date.now,
  }).drain();
}

it('shows each message since the last mark in its state folder, and moves the mark up to the first unfinished one', async () => {
  const t = await openTestStore('sqlite');
  try {
    const view = new SpoolView(t.dataDir, t.blobs);
    const app = { store: t.store, spoolView: view, showInSpool: view.show.bind(view) };
    const shown = (id: number, folder: string): boolean => existsSync(join(t.dataDir, 'spool', folder, `${id}.eml`));

    view.markShownThrough(0); // a data folder this version has run on: the mark exists
    const early = await spool(t, 1, 3);
    await processUnshown(t);
    const stale = early[0] ?? 0;
    await view.show(stale, (await t.store.getMessage(stale))?.rawSha256 ?? '', 'queued'); // left in incoming by a kill
    const waiting = await spool(t, 10, 2); // committed, never shown: the kill came before the view write
    assert.deepEqual(
      [...early, ...waiting].map((id) => view.isShown(id, 'processed')),
      [false, false, false, false, false],
    );
    assert.ok(view.isShown(stale, 'queued') && !view.isShown(waiting[0] ?? 0, 'queued'));

    assert.equal(await repairSpoolView(app), 5);
    for (const id of early) assert.ok(shown(id, 'processed') && !shown(id, 'incoming'), `message ${id} shows in processed only`);
    for (const id of waiting) assert.ok(shown(id, 'incoming'), `queued message ${id} shows in incoming`);
    assert.equal(view.shownThrough(), (waiting[0] ?? 0) - 1, 'the mark stops below the first unfinished message');

    assert.equal(await repairSpoolView(app), 0, 'a second repair finds nothing to do');
    await processUnshown(t);
    assert.equal(await repairSpoolView(app), 2, 'mail past the mark is looked at again');
    for (const id of waiting) assert.ok(shown(id, 'processed') && !shown(id, 'incoming'));
    await markSpoolViewWhole(app);
    assert.equal(view.shownThrough(), waiting.at(-1));
  } finally {
    await t.cleanup();
  }
});

it('on a data folder never marked, trusts the view but for spool/incoming, and marks it from then on', async () => {
  const t = await openTestStore('sqlite');
  try {
    const view = new SpoolView(t.dataDir, t.blobs);
    const app = { store: t.store, spoolView: view, showInSpool: view.show.bind(view) };
    const [stale, unshown] = await spool(t, 1, 2);
    await processUnshown(t);
    await view.show(stale ?? 0, (await t.store.getMessage(stale ?? 0))?.rawSha256 ?? '', 'queued');
    assert.equal(view.shownThrough(), null);
    assert.equal(await repairSpoolView(app), 1, 'only the message left in spool/incoming');
    assert.ok(view.isShown(stale ?? 0, 'processed'));
    assert.ok(view.isShown(unshown ?? 0, null), 'an older version showed mail before acknowledging it: not looked for');
    assert.equal(view.shownThrough(), unshown);
  } finally {
    await t.cleanup();
  }
});
