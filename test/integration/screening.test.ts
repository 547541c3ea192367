// Screening and categorizing as a user sees them: a real `postroom start`, mail over a real SMTP
// socket, and the CLI to look at what happened. Runs on every backend.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { backends, waitFor } from '../support/engine.ts';
import { EngineSession } from '../support/engine-session.ts';

const date = 'Wed, 25 Nov 2026 10:00:00 +0000';

function customerMail(id: string, subject: string, extraHeaders: string[] = [], body = 'Hello, my printer is broken.'): string {
  return [
    'From: Carla Customer <carla@example.com>',
    'To: support@localhost',
    `Subject: ${subject}`,
    `Message-ID: <${id}>`,
    `Date: ${date}`,
    ...extraHeaders,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}

/** An RFC 3464 bounce as Postfix writes it, returning the headers of `originalId`. */
function postfixBounce(originalId: string, recipient: string): string {
  return [
    'From: MAILER-DAEMON@mx.example.com (Mail Delivery System)',
    'To: support@localhost',
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${date}`,
    'Message-ID: <bounce-1@mx.example.com>',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"',
    '',
    '--BOUNDARY',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.example.com.',
    '',
    "I'm sorry to have to inform you that your message could not",
    'be delivered to one or more recipients.',
    '',
    `<${recipient}>: host mx.example.org said: 550 5.1.1 <${recipient}>: Recipient address rejected: User unknown`,
    '',
    '--BOUNDARY',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.com',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${recipient}>: Recipient address rejected: User unknown`,
    '',
    '--BOUNDARY',
    'Content-Type: text/rfc822-headers',
    '',
    'From: support@localhost',
    `To: ${recipient}`,
    'Subject: Re: printer',
    `Message-ID: <${originalId}>`,
    '',
    '--BOUNDARY--',
    '',
  ].join('\r\n');
}

/** An RFC 8098 read receipt for `originalId`. */
function readReceipt(originalId: string): string {
  return [
    'From: Carla Customer <carla@example.com>',
    'To: support@localhost',
    'Subject: Read: printer broken',
    `Date: ${date}`,
    'Message-ID: <mdn-1@example.com>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=disposition-notification; boundary="MDN"',
    '',
    '--MDN',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Your message was displayed.',
    '',
    '--MDN',
    'Content-Type: message/disposition-notification',
    '',
    'Reporting-UA: mail.example.com; Thunderbird',
    'Final-Recipient: rfc822; carla@example.com',
    `Original-Message-ID: <${originalId}>`,
    'Disposition: manual-action/MDN-sent-manually; displayed',
    '',
    '--MDN--',
    '',
  ].join('\r\n');
}

const outOfOffice = [
  'From: Otto Office <otto@example.com>',
  'To: support@localhost',
  'Subject: Automatic reply: Your request',
  `Date: ${date}`,
  'Message-ID: <ooo-1@example.com>',
  'Auto-Submitted: auto-replied',
  'X-Auto-Response-Suppress: All',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'I am out of the office until Monday and will answer your mail then.',
  '',
].join('\r\n');

const forward = customerMail(
  'fwd-1@example.com',
  'Fwd: Invoice 4711 is wrong',
  [],
  [
    'Please look at this one.',
    '',
    '---------- Forwarded message ---------',
    'From: Bruno Buyer <bruno@shop.example>',
    'Date: Tue, 24 Nov 2026 09:12:00 +0000',
    'Subject: Invoice 4711 is wrong',
    'To: Carla Customer <carla@example.com>',
    '',
    'The amount on invoice 4711 is twice what we agreed.',
  ].join('\r\n'),
);

for (const backend of backends()) {
  describe(`screening through real intake (${backend})`, () => {
    let session: EngineSession;
    const cli = (...args: string[]) => session.cli(...args);
    const show = (id: number) => session.show(id);
    const byMessageId = (id: string) => session.settled(id);
    const send = async (raw: string, to = 'support@localhost'): Promise<void> => {
      assert.match(await session.sendRaw(raw, { from: 'sender@example.com', to: [to] }), /^250 /);
    };

    before(async () => {
      session = await EngineSession.start(backend, [
            'mailboxes:',
            '  - { address: support@localhost }',
            '  - { address: storm@localhost, loopbackMaxMessages: 10, loopbackDetectionInterval: 10m }',
            '  - { address: flagged@localhost, loopbackMaxMessages: 10, processIfLoopbackDetected: true }',
      ]);
    });
    after(() => session?.close());

    it('an out-of-office creates no record and is marked never to be answered', async () => {
      await send(outOfOffice);
      const m = await byMessageId('ooo-1@example.com');
      assert.equal(m.state, 'skipped', 'seed 001: auto-replies are skipped');
      assert.equal(m.class, 'auto_reply');
      assert.equal(m.record, null, 'no record from an auto-reply');
      assert.equal(m.outcome, 'ignored');
      const shown = await show(m.id);
      const screen = shown.trace.find((t) => t.stage === 'screen');
      assert.equal(screen?.concluded, 'auto_reply');
      assert.match(screen?.why ?? '', /auto-submitted/i, 'the trace names the evidence');
    });

    it('a bounce of a stored message is linked to it, and the failed address is marked bouncing', async () => {
      await send(customerMail('orig-1@example.com', 'printer broken'));
      const original = await byMessageId('orig-1@example.com');
      assert.ok(original.record, 'the original opened a record');
      await send(postfixBounce('orig-1@example.com', 'gone@example.org'));
      const bounce = await byMessageId('bounce-1@mx.example.com');
      assert.equal(bounce.class, 'bounce');
      assert.equal(bounce.record, original.record, 'the bounce joins the record of the mail it concerns');
      const shown = await show(bounce.id);
      assert.equal(shown.notice?.kind, 'bounce');
      assert.equal(shown.notice?.originalMessageId, 'orig-1@example.com');
      assert.equal(shown.notice?.linkedMessage, original.id);
      assert.deepEqual(
        shown.notice?.recipients.map((r) => [r.address, r.status, r.hard, r.bouncing]),
        [['gone@example.org', '5.1.1', true, true]],
      );
      const records = JSON.parse((await cli('status', '--json')).stdout) as { records: number };
      assert.equal(records.records, 1, 'only the original opened a record');
    });

    it('a read receipt (MDN) is linked to the mail it reports on', async () => {
      await send(customerMail('orig-2@example.com', 'second question'));
      const original = await byMessageId('orig-2@example.com');
      await send(readReceipt('orig-2@example.com'));
      const mdn = await byMessageId('mdn-1@example.com');
      assert.equal(mdn.class, 'read_receipt');
      assert.equal(mdn.record, original.record);
      const shown = await show(mdn.id);
      assert.equal(shown.notice?.kind, 'read_receipt');
      assert.equal(shown.notice?.linkedMessage, original.id);
    });

    it('a reply with a prefix attaches to its record with the new text only', async () => {
      await send(customerMail('orig-3@example.com', 'toner empty'));
      const original = await byMessageId('orig-3@example.com');
      await send(
        customerMail('reply-3@example.com', 'AW: toner empty', ['In-Reply-To: <orig-3@example.com>'], [
          'It works again, thank you!',
          '',
          'On Wed, 25 Nov 2026 at 10:00, Support <support@localhost> wrote:',
          '> Please try a new toner cartridge.',
        ].join('\r\n')),
      );
      const reply = await byMessageId('reply-3@example.com');
      assert.equal(reply.record, original.record);
      assert.equal(reply.outcome, 'attached');
      const shown = await show(reply.id);
      const categorize = shown.trace.find((t) => t.stage === 'categorize' && /reply|forward|new/.test(t.concluded));
      assert.equal(categorize?.concluded, 'reply');
      assert.match(categorize?.why ?? '', /AW:/i);
      assert.ok(shown.trace.some((t) => /removed \d+ chars of quoted history/.test(t.why)), 'the quoted history was cut');
    });

    it('a forward is recognised with its original sender', async () => {
      await send(forward);
      const m = await byMessageId('fwd-1@example.com');
      assert.ok(m.record, 'a forward opens a record');
      const shown = await show(m.id);
      const categorize = shown.trace.find((t) => t.stage === 'categorize' && /reply|forward|new/.test(t.concluded));
      assert.equal(categorize?.concluded, 'forward');
      assert.match(categorize?.why ?? '', /bruno@shop\.example/);
    });

    it('a storm of 100 mails from one sender: the first 10 are processed, the rest go to loopback', async () => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: session.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1 });
      for (let i = 0; i < 100; i++)
        await transport.sendMail({
          envelope: { from: 'robot@example.com', to: ['storm@localhost', 'flagged@localhost'] },
          raw: customerMail(`storm-${i}@example.com`, `Alert ${i}`).replace('carla@example.com', 'robot@example.com'),
        });
      transport.close();
      const settled = (mailbox: string) => session.settledIn(mailbox);
      await waitFor(async () => (await settled('storm@localhost')).length === 100 && (await settled('flagged@localhost')).length === 100, 60_000, 'both storms processed');

      const storm = await settled('storm@localhost');
      const processed = storm.filter((m) => m.state === 'processed');
      assert.equal(processed.length, 10);
      assert.deepEqual(processed.map((m) => m.messageId).sort(), Array.from({ length: 10 }, (_, i) => `storm-${i}@example.com`).sort(), 'the first 10 went through');
      assert.equal(storm.filter((m) => m.state === 'loopback').length, 90);
      assert.ok(storm.filter((m) => m.state === 'loopback').every((m) => m.record === null && m.class === 'loopback'));
      assert.equal(readdirSync(`${session.dir}/data/spool/loopback`).length, 90, 'the raw mail of each is in spool/loopback');
      const held = await show(storm.find((m) => m.state === 'loopback')!.id);
      assert.ok(held.trace.some((t) => /mails from robot@example\.com within 600s/.test(t.why)), 'the trace says why');

      // A reprocess reaches the same verdict: the window ends at each message's own arrival.
      const tenth = storm.find((m) => m.messageId === 'storm-9@example.com')!;
      const eleventh = storm.find((m) => m.messageId === 'storm-10@example.com')!;
      assert.equal((await cli('messages', 'reprocess', String(tenth.id), String(eleventh.id))).code, 0);
      await waitFor(async () => (await settled('storm@localhost')).length === 100, 20_000, 'reprocessed');
      const again = await settled('storm@localhost');
      assert.equal(again.find((m) => m.id === tenth.id)?.state, 'processed');
      assert.equal(again.find((m) => m.id === tenth.id)?.record, tenth.record, 'the same record, not a second one');
      assert.equal(again.find((m) => m.id === eleventh.id)?.state, 'loopback');

      const flagged = await settled('flagged@localhost');
      assert.equal(flagged.filter((m) => m.state === 'processed').length, 100, 'processIfLoopbackDetected: all continue');
      assert.equal(flagged.filter((m) => m.loopbackCandidate).length, 90, 'the 90 over the limit are flagged');
      assert.ok(flagged.filter((m) => m.loopbackCandidate).every((m) => Number(m.messageId?.match(/storm-(\d+)/)?.[1]) >= 10));
    });
  });
}
