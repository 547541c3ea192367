// IMAP intake learns sizes only for mail above the group limit (by SEARCH LARGER). Mail over a
// limits.messageSize set below that must still be passed over, not fail its whole group.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import { configSchema } from '../../src/config/schema.ts';
import type { FetchMailbox } from '../../src/intake/connector.ts';
import { ImapConnector } from '../../src/intake/imap/imap-connector.ts';
import { openBlobs } from '../../src/store/blobs/tiered-blobs.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { deliverToMaildir, haveDovecot, startDovecot, type RunningDovecot } from '../support/dovecot.ts';
import { tempDir } from '../support/engine.ts';

const skip = (await haveDovecot()) ? false : 'Dovecot is not installed (npm test installs it)';
let dovecot: RunningDovecot | undefined;
let store: Store | undefined;
const dataDir = tempDir('postroom-imap-limits-');

before(async () => {
  if (skip) return;
  dovecot = await startDovecot();
  store = await openStore('', dataDir);
});
after(async () => {
  await store?.close();
  await dovecot?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const mail = (n: number, body = `body ${n}`): Buffer => Buffer.from(`From: a@example.com\r\nSubject: mail ${n}\r\nMessage-ID: <${n}@limits>\r\n\r\n${body}\r\n`);

it('passes over mail above a limits.messageSize lower than the group limit and takes the rest', { skip }, async () => {
  assert.ok(dovecot && store);
  await dovecot.addUser('limited', 'pw');
  await new Promise((resolve) => setTimeout(resolve, 1100)); // Dovecot reads its passwd-file at most once a second
  await deliverToMaildir(dovecot, 'limited', [mail(1), mail(2, 'x'.repeat(150 * 1024)), mail(3)]);
  const config = configSchema.parse({
    dataDir,
    limits: { messageSize: '100KB' },
    mailboxes: [
      {
        address: 'limited@example.com',
        connector: 'imap',
        server: { host: dovecot.host, port: dovecot.imapPort, tls: false, user: 'limited', password: 'pw' },
        afterProcessing: 'keep',
        idle: false,
      },
    ],
  });
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const blobs = openBlobs(dataDir, store);
  const connector = new ImapConnector({
    mailbox: config.mailboxes[0] as FetchMailbox,
    spool: { store, blobs, maxMessageSize: config.limits.messageSize, now: Date.now },
    state: store,
    log,
    env: {},
  });
  try {
    const result = await connector.poll();
    assert.equal(result.fetched, 2);
    const subjects = (await store.listMessages({ mailbox: 'limited@example.com' })).map((m) => m.subject);
    assert.deepEqual(subjects, ['mail 1', 'mail 3']);
    assert.match(lines.join(''), /larger than limits\.messageSize left in the folder/);
    assert.equal((await connector.poll()).fetched, 0, 'the next poll does not try it again');
  } finally {
    await connector.close();
  }
});
