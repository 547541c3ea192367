// A user's path end to end: a real `postroom start`, mail over a real SMTP socket and through
// `postroom ingest -`, then the CLI to look at what happened. Runs on every backend.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import {
  backends,
  engineConfig,
  freePort,
  freshDatabaseUrl,
  runCli,
  startEngine,
  tempDir,
  waitFor,
  writeConfig,
  type EngineProcess,
} from '../support/engine.ts';
import { openStore } from '../../src/store/open-store.ts';

interface ListedMessage {
  id: number;
  mailbox: string;
  messageId: string | null;
  subject: string | null;
  from: string | null;
  state: string;
  receivedAt: string;
  record: string | null;
  duplicates: number;
}

function mail(n: number, extra = ''): string {
  return [
    `From: Customer ${n} <customer${n}@example.com>`,
    'To: support@localhost',
    `Subject: Question number ${n}`,
    `Message-ID: <q${n}.${extra || 'x'}@example.com>`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, this is question ${n}. Grüße.`,
    '',
  ].join('\r\n');
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

for (const backend of backends()) {
  describe(`intake round trip (${backend})`, () => {
    let dir: string;
    let config: string;
    let engine: EngineProcess;
    let port: number;
    let url: string;
    const cli = (...args: string[]) => runCli(['-c', config, ...args], { cwd: dir });
    const list = async (): Promise<ListedMessage[]> => JSON.parse((await cli('messages', 'list', '--json')).stdout) as ListedMessage[];

    before(async () => {
      dir = tempDir();
      port = await freePort();
      url = await freshDatabaseUrl(backend);
      config = writeConfig(dir, engineConfig({ dataDir: `${dir}/data`, url, port }));
      engine = await startEngine({ cwd: dir, config, port });
    });
    after(async () => {
      await engine?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers 250 over SMTP, then processes the mail into a record with a trace and identical raw bytes', async () => {
      const raw = mail(1, backend);
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      const info = await transport.sendMail({ envelope: { from: 'customer1@example.com', to: ['support@localhost'] }, raw });
      transport.close();
      assert.match(info.response, /^250 /);
      await waitFor(async () => (await list()).some((m) => m.state === 'processed'), 20_000, 'processing');
      const [m] = await list();
      assert.ok(m);
      assert.equal(m.mailbox, 'support@localhost');
      assert.equal(m.messageId, `q1.${backend}@example.com`);
      assert.equal(m.subject, 'Question number 1');
      assert.match(m.from ?? '', /customer1@example.com/);
      assert.equal(m.record, 'CASE0000001');
      assert.ok(!Number.isNaN(Date.parse(m.receivedAt)));
      const rawOut = await cli('messages', 'raw', String(m.id));
      assert.equal(sha(rawOut.stdout), sha(raw));
      const trace = JSON.parse((await cli('messages', 'trace', String(m.id), '--json')).stdout) as { stage: string; concluded: string }[];
      // identify: the trust check (DKIM/SPF/DMARC), then the sender (a guest here)
      assert.deepEqual(
        [...new Set(trace.map((t) => t.stage))],
        ['parse', 'screen', 'identify', 'categorize', 'route', 'apply'],
      );
      assert.equal(trace.at(-1)?.concluded, 'created CASE0000001');
    });

    it('refuses mail for an address that is not a monitored mailbox', async () => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      await assert.rejects(
        transport.sendMail({ envelope: { from: 'a@example.com', to: ['nobody@localhost'] }, raw: mail(99) }),
        (err: Error & { responseCode?: number }) => err.responseCode === 550,
      );
      transport.close();
    });

    it('takes one message on stdin (an MTA pipe) with exit 0; a reply to it or to our own sent mail attaches to its record', async () => {
      const raw = mail(2, backend);
      const stored = await runCli(['-c', config, 'ingest', '-', '--json'], { cwd: dir, input: raw });
      assert.equal(stored.code, 0, stored.stderr);
      const before = await list();
      const original = before.find((m) => m.messageId === `q2.${backend}@example.com`);
      assert.ok(original);
      await waitFor(async () => (await list()).find((m) => m.id === original.id)?.state === 'processed', 20_000, 'processing');
      const record = (await list()).find((m) => m.id === original.id)?.record;
      assert.equal(record, 'CASE0000002');
      assert.equal(sha((await cli('messages', 'raw', String(original.id))).stdout), sha(raw));

      const reply = [
        'From: customer2@example.com',
        'To: support@localhost',
        'Subject: Re: Question number 2',
        `Message-ID: <reply2.${backend}@example.com>`,
        `In-Reply-To: <q2.${backend}@example.com>`,
        `References: <q2.${backend}@example.com>`,
        '',
        'Thanks, one more detail.',
        '',
      ].join('\r\n');
      assert.equal((await runCli(['-c', config, 'ingest', '-'], { cwd: dir, input: reply })).code, 0);
      await waitFor(async () => (await list()).find((m) => m.messageId === `reply2.${backend}@example.com`)?.state === 'processed', 20_000, 'reply');
      const listed = (await list()).find((m) => m.messageId === `reply2.${backend}@example.com`);
      assert.equal(listed?.record, 'CASE0000002', 'attached, not a new record');
      const shown = JSON.parse((await cli('messages', 'show', String(listed?.id), '--json')).stdout) as { outcome: string; trace: { concluded: string }[] };
      assert.equal(shown.outcome, 'attached');
      assert.ok(shown.trace.some((t) => t.concluded === 'thread-header → CASE0000002 (strong)'), 'the trace names the evidence');

      // Our own outgoing mail for that record (the outbound stage records it like this).
      const store = await openStore(url, `${dir}/data`);
      const recordId = (await store.listRecords(10)).find((r) => r.number === 'CASE0000002')?.id;
      assert.ok(recordId);
      await store.transaction((tx) => tx.recordSent(`out-2.${backend}@postroom.invalid`, recordId, Date.now()));
      await store.close();
      const answer = reply
        .replace(`<reply2.${backend}@example.com>`, `<reply3.${backend}@example.com>`)
        .replaceAll(`<q2.${backend}@example.com>`, `<out-2.${backend}@postroom.invalid>`);
      assert.equal((await runCli(['-c', config, 'ingest', '-'], { cwd: dir, input: answer })).code, 0);
      await waitFor(async () => (await list()).find((m) => m.messageId === `reply3.${backend}@example.com`)?.state === 'processed', 20_000, 'reply 3');
      assert.equal((await list()).find((m) => m.messageId === `reply3.${backend}@example.com`)?.record, 'CASE0000002');
    });

    it('gives 100 mails sent twice over SMTP and ingested twice from files 100 messages and 100 records', async () => {
      const mails = Array.from({ length: 100 }, (_, i) => mail(1000 + i, `dedupe-${backend}`));
      const folder = `${dir}/drop`;
      const { mkdirSync, writeFileSync } = await import('node:fs');
      mkdirSync(folder);
      mails.forEach((raw, i) => writeFileSync(`${folder}/${String(i).padStart(3, '0')}.eml`, raw));
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 4 });
      for (let round = 0; round < 2; round++) {
        await Promise.all(mails.map((raw) => transport.sendMail({ envelope: { from: 'x@example.com', to: ['support@localhost'] }, raw })));
        const ingested = await cli('ingest', folder);
        assert.equal(ingested.code, 0, ingested.stderr);
      }
      transport.close();
      const isDedupe = (m: ListedMessage): boolean => (m.messageId ?? '').includes(`dedupe-${backend}`);
      await waitFor(async () => (await list()).filter(isDedupe).every((m) => m.state === 'processed'), 60_000, 'processing');
      const ours = (await list()).filter(isDedupe);
      assert.equal(ours.length, 100);
      assert.equal(new Set(ours.map((m) => m.record)).size, 100);
      assert.ok(ours.every((m) => m.duplicates === 3), 'each was delivered 4 times: 1 stored + 3 duplicates');
      const status = JSON.parse((await cli('status', '--json')).stdout) as { records: number; byState: Record<string, number> };
      assert.equal(status.records, 102, 'one per distinct new mail; the reply attached');
    });

    it('shows the raw mail in Siebel\'s folders and drains on SIGTERM with exit 0', async () => {
      const { readdirSync } = await import('node:fs');
      // The folder view follows the commit, so allow it a moment.
      await waitFor(() => readdirSync(`${dir}/data/spool/processed`).length === 104, 10_000, 'spool/processed to hold all 104 messages');
      assert.equal(readdirSync(`${dir}/data/spool/incoming`).length, 0);
      assert.equal(await engine.stop(), 0);
      assert.match(engine.output(), /draining/);
    });
  });
}
