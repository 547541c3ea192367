// The embedded store's raw mail file (postroom.raw.db): what it holds, what a crash between its
// commit and the spool rows' commit leaves, and how that is swept.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import SQLite from 'better-sqlite3';
import { spoolBuffered } from '../../src/intake/spool-writer.ts';
import { SqliteRawFile } from '../../src/store/sqlite/raw-file.ts';
import { openTestStore } from '../support/engine.ts';

const mail = (n: number): Buffer => Buffer.from(`From: a@example.com\r\nSubject: mail ${n}\r\nMessage-ID: <${n}@x>\r\n\r\nbody ${n}\r\n`);
const target = (uid: string) => ({ mailboxes: ['support@localhost'], source: 'imap' as const, origin: uid, dedupeKey: `imap:1/${uid}` });

it('keeps small raw mail once per content in postroom.raw.db, in 64 KiB pages', async () => {
  const t = await openTestStore('sqlite');
  try {
    const spool = { store: t.store, blobs: t.blobs, maxMessageSize: 1024 * 1024, now: () => 1_000 };
    const [a] = await spoolBuffered(spool, [{ bytes: mail(1), target: target('1') }, { bytes: mail(2), target: target('2') }]);
    const [again] = await spoolBuffered(spool, [{ bytes: mail(1), target: target('3') }]);
    assert.equal(again?.rows[0]?.duplicate, false, 'another UID: a new message with the same bytes');
    const raw = new SQLite(join(t.dataDir, 'postroom.raw.db'), { readonly: true });
    try {
      assert.equal(raw.pragma('page_size', { simple: true }), 65536);
      assert.equal((raw.prepare('SELECT COUNT(*) AS n FROM raw_mail').get() as { n: number }).n, 2, 'the same bytes are stored once');
    } finally {
      raw.close();
    }
    assert.ok((await t.store.inlineRaw(a?.sha256 ?? ''))?.equals(mail(1)));
    await t.store.deleteInlineRaw(a?.sha256 ?? '');
    assert.equal(await t.store.inlineRaw(a?.sha256 ?? ''), null);
  } finally {
    await t.cleanup();
  }
});

it('sweeps raw mail a crash left without spool rows once it is an hour old, and nothing else', async () => {
  const t = await openTestStore('sqlite');
  try {
    const spool = { store: t.store, blobs: t.blobs, maxMessageSize: 1024 * 1024, now: () => 1_000 };
    const [kept] = await spoolBuffered(spool, [{ bytes: mail(1), target: target('1') }]);
    // What a process that died between the two commits leaves: bytes that no spool row names.
    const other = new SqliteRawFile(join(t.dataDir, 'postroom.raw.db'), 'full');
    try {
      other.append(new Map([['a'.repeat(64), mail(2)]]), Date.now() - 2 * 3_600_000);
      other.append(new Map([['b'.repeat(64), mail(3)]]), Date.now()); // maybe a commit on its way
    } finally {
      other.close();
    }
    assert.equal(await t.store.sweepRawOrphans(3_600_000), 1);
    assert.equal(await t.store.sweepRawOrphans(0), 1, 'the young orphan goes once it is old enough');
    assert.equal(await t.store.sweepRawOrphans(0), 0);
    assert.ok((await t.store.inlineRaw(kept?.sha256 ?? ''))?.equals(mail(1)), 'mail a spool row names stays');
  } finally {
    await t.cleanup();
  }
});

it('still reads raw mail spooled into the main database before the raw file existed', async () => {
  const t = await openTestStore('sqlite');
  try {
    const db = new SQLite(join(t.dataDir, 'postroom.db'));
    try {
      db.prepare('INSERT INTO raw_inline (sha256, size, bytes) VALUES (?, ?, ?)').run('c'.repeat(64), mail(4).length, mail(4));
    } finally {
      db.close();
    }
    assert.ok((await t.store.inlineRaw('c'.repeat(64)))?.equals(mail(4)));
    await t.store.deleteInlineRaw('c'.repeat(64));
    assert.equal(await t.store.inlineRaw('c'.repeat(64)), null);
  } finally {
    await t.cleanup();
  }
});
