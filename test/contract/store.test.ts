// The store contract: the same behaviour on every backend (SQLite always, PostgreSQL under npm test).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { spoolBuffered, spoolRaw } from '../../src/intake/spool-writer.ts';
import { INLINE_RAW_LIMIT } from '../../src/store/blobs/tiered-blobs.ts';
import type { NewMessage, RetentionQuery } from '../../src/store/store.ts';
import { backends, openTestStore, type TestStore } from '../support/engine.ts';

function newMessage(n: number, overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    mailbox: 'support@localhost',
    source: 'smtp',
    origin: '127.0.0.1',
    dedupeKey: `sha256:${String(n).padStart(64, '0')}`,
    rawSha256: String(n).padStart(64, '0'),
    rawSize: 100 + n,
    messageId: `m${n}@example.com`,
    subject: `subject ${n}`,
    from: `user${n}@example.com`,
    receivedAt: 1_000 + n,
    ...overrides,
  };
}

async function withStore(backend: 'sqlite' | 'postgres', work: (t: TestStore) => Promise<void>): Promise<void> {
  const t = await openTestStore(backend);
  try {
    await work(t);
  } finally {
    await t.cleanup();
  }
}

for (const backend of backends()) {
  describe(`store contract (${backend})`, () => {
    it('spools once per mailbox and dedupe key, counting duplicate deliveries', () =>
      withStore(backend, async ({ store }) => {
        const first = await store.spool(newMessage(1));
        const again = await store.spool(newMessage(1));
        const otherBox = await store.spool(newMessage(1, { mailbox: 'sales@localhost' }));
        assert.equal(first.duplicate, false);
        assert.deepEqual(again, { id: first.id, duplicate: true });
        assert.notEqual(otherBox.id, first.id);
        const row = await store.getMessage(first.id);
        assert.equal(row?.state, 'queued');
        assert.equal(row?.duplicates, 1);
        assert.equal(row?.messageId, 'm1@example.com');
        assert.equal((await store.status()).duplicates, 1);
      }));

    it('claims each due message once, oldest first, and reclaims expired leases', () =>
      withStore(backend, async ({ store }) => {
        for (let n = 1; n <= 5; n++) await store.spool(newMessage(n));
        const a = await store.claim('worker-a', 3, 10_000, 1_000);
        const b = await store.claim('worker-b', 10, 10_000, 1_000);
        assert.deepEqual(
          a.map((m) => m.subject),
          ['subject 1', 'subject 2', 'subject 3'],
        );
        assert.equal(b.length, 2);
        assert.equal(new Set([...a, ...b].map((m) => m.id)).size, 5);
        assert.equal((await store.claim('worker-c', 10, 10_500, 1_000)).length, 0, 'leases still valid');
        const retaken = await store.claim('worker-c', 10, 11_001, 1_000);
        assert.equal(retaken.length, 5, 'expired leases are claimable again');
        assert.ok(retaken.every((m) => m.attempts === 2 && m.leaseOwner === 'worker-c'));
      }));

    it('claims concurrently without handing one message to two workers', () =>
      withStore(backend, async ({ store }) => {
        for (let n = 1; n <= 60; n++) await store.spool(newMessage(n));
        const batches = await Promise.all(Array.from({ length: 6 }, (_, i) => store.claim(`w${i}`, 15, 10_000, 60_000)));
        const ids = batches.flat().map((m) => m.id);
        assert.equal(ids.length, 60);
        assert.equal(new Set(ids).size, 60);
      }));

    it('defers with a due time, releases, and frees the leases of dead owners', () =>
      withStore(backend, async ({ store }) => {
        const { id } = await store.spool(newMessage(1));
        await store.spool(newMessage(2));
        const [m1, m2] = await store.claim('w', 2, 10_000, 60_000);
        assert.ok(m1 && m2);
        await store.defer(id, 'w', { nextAttemptAt: 20_000, errorCode: 'store_unavailable', error: 'down', trace: [] });
        assert.equal((await store.getMessage(id))?.state, 'deferred');
        assert.deepEqual(await store.claim('x', 5, 15_000, 60_000), [], 'not due before nextAttemptAt');
        assert.deepEqual(await store.leaseOwners(), ['w']);
        assert.equal(await store.releaseOwners(['w']), 1);
        const again = await store.claim('x', 5, 20_000, 60_000);
        assert.deepEqual(again.map((m) => m.id).sort(), [m1.id, m2.id].sort());
        await store.release(m2.id, 'x');
        assert.equal((await store.getMessage(m2.id))?.state, 'queued');
      }));

    it('commits a transaction whole or not at all, and allocates numbers without gaps', () =>
      withStore(backend, async ({ store }) => {
        const { id } = await store.spool(newMessage(1));
        await store.claim('w', 1, 10_000, 60_000);
        await assert.rejects(
          store.transaction(async (tx) => {
            assert.equal(await tx.allocateNumber('CASE'), 1);
            await tx.insertRecord({ type: 'CASE', number: 'CASE0000001', subject: 's', requester: 'r', firstText: 't', createdAt: 1, updatedAt: 1 });
            throw new Error('boom');
          }),
        );
        assert.deepEqual(await store.listRecords(10), [], 'rolled back');
        const recordId = await store.transaction(async (tx) => {
          assert.equal(await tx.holdLease(id, 'w'), true);
          assert.equal(await tx.holdLease(id, 'intruder'), false);
          const n = await tx.allocateNumber('CASE');
          assert.equal(n, 1, 'the rolled-back number is reused: no gap');
          const rid = await tx.insertRecord({ type: 'CASE', number: `CASE${n}`, subject: 's', requester: 'r', firstText: 't', createdAt: 1, updatedAt: 1 });
          await tx.insertEntry({ recordId: rid, messageRef: id, kind: 'created', text: 't', now: 1 });
          await tx.insertAttachments([
            { messageId: id, ordinal: 1, filename: 'a.pdf', contentType: 'application/pdf', size: 3, sha256: 'f'.repeat(64), contentId: null, inline: false },
          ]);
          const ok = await tx.finishMessage(id, 'w', {
            state: 'processed',
            outcome: 'created',
            recordId: rid,
            messageId: 'm1@example.com',
            subject: 's',
            from: 'r',
            trace: [{ stage: 'parse', looked: 'x', concluded: 'y', why: 'z' }],
            errorCode: null,
            error: null,
            now: 2,
          });
          assert.equal(ok, true);
          return rid;
        });
        const row = await store.getMessage(id);
        assert.equal(row?.state, 'processed');
        assert.equal(row?.recordId, recordId);
        assert.equal(row?.leaseOwner, null);
        assert.equal(await store.findEntryRecord(id), recordId);
        assert.deepEqual(await store.getTrace(id), [{ stage: 'parse', looked: 'x', concluded: 'y', why: 'z' }]);
        assert.equal((await store.listAttachments(id))[0]?.filename, 'a.pdf');
        assert.equal((await store.listAttachments(id))[0]?.inline, false);
      }));

    it('allocates distinct gap-free numbers under concurrent transactions', () =>
      withStore(backend, async ({ store }) => {
        const numbers = await Promise.all(
          Array.from({ length: 40 }, () => store.transaction((tx) => tx.allocateNumber('INC'))),
        );
        assert.deepEqual(
          numbers.sort((a, b) => a - b),
          Array.from({ length: 40 }, (_, i) => i + 1),
        );
      }));

    it('finds the record a reply belongs to by sent or stored Message-ID', () =>
      withStore(backend, async ({ store }) => {
        const { id } = await store.spool(newMessage(1));
        await store.claim('w', 1, 10_000, 60_000);
        const recordId = await store.transaction(async (tx) => {
          const rid = await tx.insertRecord({ type: 'CASE', number: 'CASE0000001', subject: 's', requester: 'r', firstText: 't', createdAt: 1, updatedAt: 1 });
          await tx.recordSent('out-1@postroom', rid, 1);
          await tx.finishMessage(id, 'w', {
            state: 'processed', outcome: 'created', recordId: rid, messageId: 'm1@example.com', subject: 's', from: 'r', trace: [], errorCode: null, error: null, now: 2,
          });
          return rid;
        });
        assert.deepEqual(await store.findThread(['unknown@x', 'out-1@postroom'], 999), { recordId, via: 'sent', messageId: 'out-1@postroom' });
        assert.deepEqual(await store.findThread(['m1@example.com'], 999), { recordId, via: 'stored', messageId: 'm1@example.com' });
        assert.equal(await store.findThread(['m1@example.com'], id), undefined, 'a message is not its own parent');
        assert.equal(await store.findThread([], 999), undefined);
      }));

    it('requeues failed messages for reprocessing but never purged ones', () =>
      withStore(backend, async ({ store }) => {
        const a = await store.spool(newMessage(1));
        const b = await store.spool(newMessage(2));
        await store.claim('w', 2, 10_000, 60_000);
        for (const { id } of [a, b]) {
          await store.transaction((tx) =>
            tx.finishMessage(id, 'w', {
              state: 'failed', outcome: 'quarantined', recordId: null, messageId: null, subject: null, from: null, trace: [], errorCode: 'unparseable', error: 'bad', now: 3,
            }),
          );
        }
        await store.markPurged(b.id);
        assert.equal(await store.requeue({ state: 'failed' }, 50_000), 1);
        const row = await store.getMessage(a.id);
        assert.equal(row?.state, 'queued');
        assert.equal(row?.attempts, 0);
        assert.equal(row?.errorCode, null);
        assert.equal((await store.status()).byState.failed, 1);
      }));

    it('lists messages by sender, subject text, Message-ID and time, oldest or newest first', () =>
      withStore(backend, async ({ store }) => {
        await store.spool(newMessage(1, { from: 'anna@example.com', subject: 'Printer 100% jammed' }));
        await store.spool(newMessage(2, { from: 'bob@example.com', subject: 'printer toner', receivedAt: 5_000 }));
        await store.spool(newMessage(3, { from: 'anna@example.com', subject: 'Invoice_42', receivedAt: 6_000 }));
        const subjects = async (filter: Parameters<typeof store.listMessages>[0]) => (await store.listMessages(filter)).map((m) => m.subject);
        assert.deepEqual(await subjects({ from: 'ANNA@example.com' }), ['Printer 100% jammed', 'Invoice_42']);
        assert.deepEqual(await subjects({ subject: 'PRINTER' }), ['Printer 100% jammed', 'printer toner']);
        assert.deepEqual(await subjects({ subject: '100%' }), ['Printer 100% jammed'], '% is matched as text');
        assert.deepEqual(await subjects({ subject: 'o_c' }), [], '_ is matched as text, not as any character ("oic" in Invoice)');
        assert.deepEqual(await subjects({ subject: 'e_42' }), ['Invoice_42']);
        assert.deepEqual(await subjects({ messageId: 'm2@example.com' }), ['printer toner']);
        assert.deepEqual(await subjects({ since: 5_000 }), ['printer toner', 'Invoice_42']);
        assert.deepEqual(await subjects({ newest: true, limit: 2 }), ['Invoice_42', 'printer toner']);
      }));

    it('retention: lists final mail past its time, oldest first, and marks it only while it still qualifies', () =>
      withStore(backend, async ({ store }) => {
        const ids: number[] = [];
        for (let n = 1; n <= 5; n++) ids.push((await store.spool(newMessage(n))).id);
        await store.claim('w', 5, 10_000, 60_000);
        const finish = (id: number, state: 'processed' | 'failed' | 'skipped', now: number) =>
          store.transaction((tx) =>
            tx.finishMessage(id, 'w', {
              state, outcome: state, recordId: null, messageId: null, subject: null, from: null, trace: [],
              errorCode: state === 'failed' ? 'unparseable' : null, error: state === 'failed' ? 'bad' : null, now,
            }),
          );
        const [old1, old2, recent, failed, waiting] = ids as [number, number, number, number, number];
        await finish(old1, 'processed', 100);
        await finish(old2, 'skipped', 200);
        await finish(recent, 'processed', 9_000);
        await finish(failed, 'failed', 100);
        // A forward still to be sent reads the original: its raw mail waits.
        await finish(waiting, 'processed', 100);
        await store.transaction((tx) =>
          tx.enqueueMail(
            {
              messageRef: waiting, seq: 0, recordId: null, mailbox: 'support@localhost', kind: 'forward', automatic: false,
              recipient: 'x@example.com', messageId: 'fwd@postroom', createdAt: 100,
              mail: { from: { address: 'support@localhost', name: '' }, to: ['x@example.com'], cc: [], subject: 'Fw', text: '', html: null,
                messageId: 'fwd@postroom', date: 100, inReplyTo: null, references: [], headers: {}, attachOriginal: { sha256: 'a'.repeat(64), filename: 'original.eml' }, resendOriginal: null },
            },
            100,
          ),
        );
        const query: RetentionQuery = { states: ['processed', 'skipped'], finishedBefore: 1_000 };
        const found = await store.purgeCandidates({ ...query, limit: 10 });
        assert.deepEqual(found.map((c) => [c.id, c.state, c.rawSize]), [[old1, 'processed', 101], [old2, 'skipped', 102]]);
        assert.deepEqual((await store.purgeCandidates({ ...query, limit: 1, afterId: old1 })).map((c) => c.id), [old2]);
        assert.deepEqual((await store.purgeCandidates({ states: ['failed'], finishedBefore: 1_000, limit: 10 })).map((c) => c.id), [failed]);

        assert.equal(await store.markPurgedIfFinished(old1, { states: ['processed'], finishedBefore: 1_000 }), true);
        assert.equal(await store.markPurgedIfFinished(old1, { states: ['processed'], finishedBefore: 1_000 }), false, 'marked once');
        assert.equal((await store.getMessage(old1))?.rawPurged, true);
        // Reprocessed after it was listed: it is no longer final, so it keeps its raw mail.
        assert.equal(await store.requeue({ ids: [old2] }, 300), 1);
        assert.equal(await store.markPurgedIfFinished(old2, { states: ['skipped'], finishedBefore: 1_000 }), false);
        assert.equal((await store.getMessage(old2))?.rawPurged, false);
        assert.deepEqual((await store.purgeCandidates({ states: ['processed', 'skipped'], finishedBefore: 1_000, limit: 10 })).map((c) => c.id), []);
      }));

    it('stores blobs durably by content, never by a name from the mail', () =>
      withStore(backend, async ({ blobs }) => {
        const info = await blobs.put(Readable.from([Buffer.from('hello '), Buffer.from('world')]));
        assert.equal(info.size, 11);
        assert.equal(info.sha256, 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9');
        assert.equal(await blobs.exists(info.sha256), true);
        await assert.rejects(blobs.put(Readable.from([Buffer.alloc(2048)]), { maxSize: 1024 }), /exceeds the limit/);
        assert.throws(() => blobs.open('../../etc/passwd'), /not a blob id/);
      }));

    it("queues a rule's IMAP move once per message and gives it back with where the mail was fetched", () =>
      withStore(backend, async ({ store }) => {
        const first = await store.spool(newMessage(30, { mailbox: 'm@x', source: 'imap', origin: 'imap:INBOX:7:41' }));
        // Fetched again after a crash: the latest delivery names where the mail is now.
        await store.spool(newMessage(30, { mailbox: 'm@x', source: 'imap', origin: 'imap:INBOX:7:42' }));
        const queue = (target: string) => store.transaction((tx) => tx.enqueueMove({ messageRef: first.id, mailbox: 'm@x', target }, 5_000));
        assert.equal(await queue('Billing'), true);
        assert.equal(await queue('Other'), false, 'one move per message: a reprocess queues none');
        assert.deepEqual(await store.pendingMoves('m@x', 10), [{ messageRef: first.id, target: 'Billing', origin: 'imap:INBOX:7:42' }]);
        assert.deepEqual(await store.pendingMoves('other@x', 10), []);
        assert.deepEqual(await store.moveStatus(), [{ mailbox: 'm@x', pending: 1, failed: 0, lastError: null }]);
        await store.finishMove(first.id, { state: 'done', error: null }, 6_000);
        assert.deepEqual(await store.pendingMoves('m@x', 10), []);
        assert.deepEqual(await store.moveStatus(), [], 'a move made is no longer reported');
        const second = await store.spool(newMessage(31, { mailbox: 'm@x', source: 'imap', origin: 'imap:INBOX:7:43' }));
        await store.transaction((tx) => tx.enqueueMove({ messageRef: second.id, mailbox: 'm@x', target: 'Nope' }, 7_000));
        await store.finishMove(second.id, { state: 'failed', error: 'NO [TRYCREATE] no such folder' }, 8_000);
        assert.deepEqual(await store.moveStatus(), [{ mailbox: 'm@x', pending: 0, failed: 1, lastError: 'NO [TRYCREATE] no such folder' }]);
      }));

    it('keeps small raw mail with its spool rows, larger mail as a blob file, and finds both', () =>
      withStore(backend, async ({ store, blobs, dataDir }) => {
        const spool = { store, blobs, maxMessageSize: 10 * 1024 * 1024, now: () => 1_000 };
        const small = Buffer.from('From: a@example.com\r\nSubject: small\r\nMessage-ID: <s@x>\r\n\r\nhello\r\n');
        const large = Buffer.concat([Buffer.from('Subject: large\r\n\r\n'), Buffer.alloc(INLINE_RAW_LIMIT + 1, 'x')]);
        const target = (origin: string) => ({ mailboxes: ['support@localhost'], source: 'imap' as const, origin });
        const [a, b, again] = await spoolBuffered(spool, [
          { bytes: small, target: target('1') },
          { bytes: large, target: target('2') },
          { bytes: small, target: target('3') },
        ]);
        assert.ok(a && b && again);
        assert.equal(a.rows[0]?.duplicate, false);
        assert.equal(again.rows[0]?.duplicate, true, 'the same bytes again are a duplicate');
        const fileOf = (sha: string) => join(dataDir, 'blobs', sha.slice(0, 2), sha.slice(2, 4), sha);
        assert.equal(existsSync(fileOf(a.sha256)), false, 'small mail: no file of its own');
        assert.ok((await store.inlineRaw(a.sha256))?.equals(small), 'small mail: committed with its row');
        assert.equal(existsSync(fileOf(b.sha256)), true, 'large mail: a blob file');
        assert.equal(await store.inlineRaw(b.sha256), null);
        for (const [sha, bytes] of [[a.sha256, small], [b.sha256, large]] as const) {
          assert.equal(await blobs.exists(sha), true);
          assert.ok((await buffer(blobs.open(sha))).equals(bytes), 'open gives the bytes back');
          const shown = join(dataDir, `${sha}.eml`);
          await blobs.linkTo(sha, shown);
          assert.ok(readFileSync(shown).equals(bytes), 'the spool view shows the bytes');
        }
        // A stream is kept in memory only while it fits: past the limit it goes on into a file.
        const streamed = await spoolRaw(spool, Readable.from([large.subarray(0, 1000), large.subarray(1000)]), target('4'));
        assert.equal(streamed.sha256, b.sha256);
        assert.equal(streamed.rows[0]?.duplicate, true);
        await blobs.delete(a.sha256);
        assert.equal(await blobs.exists(a.sha256), false);
        await assert.rejects(buffer(blobs.open(a.sha256)), /not found/);
        await assert.rejects(spoolBuffered({ ...spool, maxMessageSize: 10 }, [{ bytes: small, target: target('5') }]), /exceeds the limit/);
      }));

    it('gives a mailbox lease to one owner at a time, renewable, taken over after expiry', () =>
      withStore(backend, async ({ store }) => {
        assert.equal(await store.acquireMailboxLease('a@x', 'n1', 1_000, 500), true);
        assert.equal(await store.acquireMailboxLease('a@x', 'n2', 1_200, 500), false, 'held by n1');
        assert.equal(await store.acquireMailboxLease('a@x', 'n1', 1_400, 500), true, 'renewed by n1');
        assert.equal(await store.acquireMailboxLease('a@x', 'n2', 1_800, 500), false, 'renewal extended it');
        assert.equal(await store.acquireMailboxLease('a@x', 'n2', 1_901, 500), true, 'expired: n2 takes over');
        const race = await Promise.all(['p', 'q', 'r', 's'].map((o) => store.acquireMailboxLease('b@x', o, 5_000, 500)));
        assert.equal(race.filter(Boolean).length, 1, 'exactly one of racing owners wins');
        await store.releaseMailboxLease('a@x', 'n2');
        assert.equal(await store.acquireMailboxLease('a@x', 'n3', 1_950, 500), true, 'released');
      }));

    it('keeps IMAP checkpoints, seen POP3 keys and poll status per mailbox', () =>
      withStore(backend, async ({ store }) => {
        assert.equal(await store.getCheckpoint('a@x', 'INBOX'), undefined);
        await store.setCheckpoint('a@x', 'INBOX', { uidValidity: 7, lastUid: 10 });
        await store.setCheckpoint('a@x', 'INBOX', { uidValidity: 7, lastUid: 12 });
        assert.deepEqual(await store.getCheckpoint('a@x', 'INBOX'), { uidValidity: 7, lastUid: 12 });
        await store.spool(newMessage(1, { mailbox: 'a@x', dedupeKey: 'pop3:U1' }));
        assert.deepEqual([...(await store.knownDedupeKeys('a@x', ['pop3:U1', 'pop3:U2']))], ['pop3:U1']);
        await store.recordPoll({ mailbox: 'a@x', lastPollAt: 5, lastSuccessAt: 5, lastError: null, backlog: 3, owner: 'n1' });
        await store.recordPoll({ mailbox: 'a@x', lastPollAt: 6, lastSuccessAt: 5, lastError: 'auth failed', backlog: 3, owner: 'n1' });
        assert.deepEqual(await store.mailboxStatus(), [
          { mailbox: 'a@x', lastPollAt: 6, lastSuccessAt: 5, lastError: 'auth failed', backlog: 3, owner: 'n1' },
        ]);
      }));
  });
}
