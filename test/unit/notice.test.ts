import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import type { ParsedMessage } from '../../src/core/plan.ts';
import { parseMessage } from '../../src/decide/parse/parse-message.ts';
import { readFieldBlocks, typedAddress } from '../../src/decide/screen/notice/dsn-fields.ts';
import { readNotice } from '../../src/decide/screen/notice/read-notice.ts';
import { reasonFor } from '../../src/decide/screen/notice/reason.ts';
import { findReplyCode, findStatus } from '../../src/decide/screen/notice/smtp-codes.ts';
import { MemoryBlobStore } from '../../src/store/blobs/memory-blobs.ts';

const limits = { headerSize: 1e6, mimeDepth: 20, parts: 500, attachments: 100, attachmentsTotalSize: 1e8 };

async function parse(raw: string): Promise<ParsedMessage> {
  const blobs = new MemoryBlobStore();
  const { sha256 } = await blobs.put(Readable.from([Buffer.from(raw.replace(/\n/g, '\r\n'))]));
  return parseMessage(blobs, sha256, limits);
}

const dsn = `From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.example.org.

<Gone@Example.net>: host mx.example.net said: 550 5.1.1 <gone@example.net>: Recipient
    address rejected: User unknown (in reply to RCPT TO command)

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; Gone@Example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: Recipient address
    rejected: User unknown

Final-Recipient: rfc822; late@example.net
Action: delayed
Status: 4.4.1
Diagnostic-Code: smtp; 421 4.4.1 Connection timed out

Final-Recipient: rfc822; fine@example.net
Action: delivered
Status: 2.0.0

--B
Content-Type: text/rfc822-headers

From: sender@example.com
To: gone@example.net
Subject: hello
Message-ID: <orig-42@example.com>

--B--
`;

const exim = `From: Mail Delivery System <Mailer-Daemon@e1.example.org>
To: sender@example.com
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: nobody@example.jp

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  nobody@example.jp
    SMTP error from remote mail server after RCPT TO:<nobody@example.jp>:
    host mx.example.jp [192.0.2.20]: 550 5.1.1 <nobody@example.jp>... User unknown

------ This is a copy of the message, including all the headers. ------

Return-path: <sender@example.com>
Message-Id: <exim-orig@example.com>
From: sender@example.com
To: nobody@example.jp
Subject: test

hello
`;

const qmail = `From: MAILER-DAEMON@mx4.example.jp
To: sender@example.com
Subject: failure notice

Hi. This is the qmail-send program at mx4.example.jp.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<full@example.ne.jp>:
192.0.2.1 does not like recipient.
Remote host said: 552 Error: disk quota exceeded
Giving up on 192.0.2.1.

<gone@example.ne.jp>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <sender@example.com>
Message-ID: <q-orig@example.com>
To: full@example.ne.jp
Subject: hi
`;

const humanReply = `From: Alice <alice@example.com>
To: support@example.org
Subject: Re: Undeliverable: your invoice
Message-ID: <human-1@example.com>

Hi, your last mail to me was undeliverable, the server said
"could not be delivered to one or more recipients". Can you resend?

  bob@example.net

Thanks, Alice
`;

const mdn = `From: reader@example.com
To: sender@example.org
Subject: Read: hello
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="M"

--M
Content-Type: text/plain

Your message was displayed.

--M
Content-Type: message/disposition-notification

Reporting-UA: reader.example.com; SomeMail
Final-Recipient: rfc822; Reader@example.com
Original-Message-ID: <orig-7@example.org>
Disposition: manual-action/MDN-sent-manually; displayed

--M--
`;

const arf = `From: fbl@isp.example
To: abuse@example.org
Subject: Abuse Report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="A"

--A
Content-Type: text/plain

This is an abuse report.

--A
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeFBL/1.0
Version: 1
Original-Rcpt-To: one@isp.example
Original-Rcpt-To: two@isp.example

--A
Content-Type: text/rfc822-headers

From: news@example.org
Message-ID: <news-9@example.org>

--A--
`;

describe('readNotice', () => {
  test('a DSN: failed and delayed recipients make a bounce, delivered ones are left out', async () => {
    const f = readNotice(await parse(dsn));
    assert.equal(f?.class, 'bounce');
    assert.equal(f.notice.format, 'dsn');
    assert.deepEqual(
      f.notice.recipients.map((r) => [r.address, r.action, r.status, r.replyCode, r.reason, r.hard]),
      [
        ['gone@example.net', 'failed', '5.1.1', '550', 'userunknown', true],
        ['late@example.net', 'delayed', '4.4.1', '421', 'expired', false],
      ],
    );
    assert.equal(f.notice.originalMessageId, 'orig-42@example.com');
    assert.equal(f.notice.reportingMta, 'mx.example.org');
    assert.match(f.evidence.join(' '), /delivery-status with Action: failed\/delayed for 2 recipients/);
  });

  test('a DSN with only delivered recipients is a delivery notice', async () => {
    const raw = dsn.replace('Action: failed', 'Action: relayed').replace('Action: delayed', 'Action: delivered');
    const f = readNotice(await parse(raw));
    assert.equal(f?.class, 'delivery_notice');
    assert.equal(f.notice.recipients.length, 3);
    assert.equal(f.notice.recipients[0]?.reason, 'delivered');
  });

  test('an Exim text bounce: recipient from the template, code from the diagnostic, original from the copy', async () => {
    const f = readNotice(await parse(exim));
    assert.equal(f?.class, 'bounce');
    assert.equal(f.notice.format, 'exim');
    assert.deepEqual(f.notice.recipients.map((r) => [r.address, r.status, r.replyCode, r.reason]), [
      ['nobody@example.jp', '5.1.1', '550', 'userunknown'],
    ]);
    assert.equal(f.notice.originalMessageId, 'exim-orig@example.com');
  });

  test('a qmail bounce with two recipients keeps each one its own diagnostic', async () => {
    const f = readNotice(await parse(qmail));
    assert.equal(f?.notice.format, 'qmail');
    assert.deepEqual(f?.notice.recipients.map((r) => [r.address, r.status, r.replyCode, r.reason]), [
      ['full@example.ne.jp', '', '552', 'mailboxfull'],
      ['gone@example.ne.jp', '5.1.1', '', 'userunknown'],
    ]);
    assert.equal(f?.notice.originalMessageId, 'q-orig@example.com');
  });

  test('a person quoting bounce words in a reply is no notice', async () => {
    assert.equal(readNotice(await parse(humanReply)), null);
  });

  test('an MDN is a read receipt with its disposition', async () => {
    const f = readNotice(await parse(mdn));
    assert.equal(f?.class, 'read_receipt');
    assert.deepEqual(f.notice.disposition, {
      actionMode: 'manual-action',
      sendingMode: 'mdn-sent-manually',
      type: 'displayed',
      modifiers: [],
    });
    assert.equal(f.notice.recipients[0]?.address, 'reader@example.com');
    assert.equal(f.notice.originalMessageId, 'orig-7@example.org');
  });

  test('an ARF report is a complaint naming each reported recipient', async () => {
    const f = readNotice(await parse(arf));
    assert.equal(f?.class, 'complaint');
    assert.equal(f.notice.feedbackType, 'abuse');
    assert.deepEqual(f.notice.recipients.map((r) => r.address), ['one@isp.example', 'two@isp.example']);
    assert.equal(f.notice.originalMessageId, 'news-9@example.org');
  });

  test('a challenge dressed as a DSN is left to the challenge detector', async () => {
    const raw = dsn.replace(
      /Diagnostic-Code: smtp; 550 5\.1\.1 <gone@example\.net>: Recipient address\n {4}rejected: User unknown/,
      'Diagnostic-Code: X-Boxbe-Notice; Sender not pre-approved.',
    );
    assert.notEqual(raw, dsn);
    const parsed = await parse(raw);
    assert.equal(readNotice(parsed), null);
  });
});

describe('readNotice: less common shapes', () => {
  const dsnWith = (blocks: string) => `From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: sender@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.example.org.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
${blocks}
--B--
`;

  test('a DSN names the address the sender wrote (Original-Recipient), not the alias target', async () => {
    const f = readNotice(
      await parse(
        dsnWith(`
Final-Recipient: rfc822; target@inside.example.net
Original-Recipient: rfc822; alias@example.net
Action: failed
Status: 5.1.1
`),
      ),
    );
    assert.deepEqual(f?.notice.recipients.map((r) => r.address), ['alias@example.net']);
  });

  test('one original expanded to several finals: each failed final is named', async () => {
    const f = readNotice(
      await parse(
        dsnWith(`
Final-Recipient: rfc822; one@inside.example.net
Original-Recipient: rfc822;team@example.net
Action: failed
Status: 5.1.1

Final-Recipient: rfc822; two@inside.example.net
Original-Recipient: rfc822;team@example.net
Action: failed
Status: 5.1.1
`),
      ),
    );
    assert.deepEqual(f?.notice.recipients.map((r) => r.address), ['one@inside.example.net', 'two@inside.example.net']);
  });

  test('From: <> with a refusal naming the address is a bounce', async () => {
    const f = readNotice(
      await parse(`Return-Path: <>
From: <>
To: sender@example.com
Auto-Submitted: auto-replied
Message-Id: <E1x@mx.example.org>

You sent mail to gone@example.org. That's not a valid user here.
`),
    );
    assert.equal(f?.class, 'bounce');
    assert.deepEqual(f.notice.recipients.map((r) => r.address), ['gone@example.org']);
  });

  test('a person writing "you sent mail to" is no notice', async () => {
    const parsed = await parse(`From: Ann <ann@example.com>
To: bob@example.org
Subject: about yesterday

You sent mail to carol@example.net. That's not a valid user here, she left last year.
`);
    assert.equal(readNotice(parsed), null);
  });

  test("AOL's bare local parts belong to the notifying system's domain", async () => {
    const f = readNotice(
      await parse(`From: Mail Delivery Subsystem <MAILER-DAEMON@aol.example>
To: sender@example.com
Subject: Mail Delivery Problem

Sorry sender@example.com. Your mail to the following recipients could not be delivered because they are not accepting mail with attachments or embedded images:
	someuser
	other.user

`),
    );
    assert.equal(f?.class, 'bounce');
    assert.deepEqual(f.notice.recipients.map((r) => r.address), ['someuser@aol.example', 'other.user@aol.example']);
  });

  test('a mail system notice by all header signs is a bounce even when it names no one', async () => {
    const raw = `Return-Path: <>
From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>
To: sender@example.com
Subject: Returned mail: see transcript for details

<<< No Message Collected >>>
`;
    const f = readNotice(await parse(raw));
    assert.equal(f?.class, 'bounce');
    assert.deepEqual(f.notice.recipients, []);
    // without the null envelope sender it is not enough
    assert.equal(readNotice(await parse(raw.replace('Return-Path: <>', 'Return-Path: <x@mx.example.org>'))), null);
  });
});

describe('notice parts', () => {
  test('field blocks unfold continuation lines and split on a repeated Final-Recipient', () => {
    const blocks = readFieldBlocks('Reporting-MTA: dns; a\n\nFinal-Recipient: rfc822; x@y\nDiagnostic-Code: smtp; 550\n  more\nFinal-Recipient: rfc822; z@y\n');
    assert.equal(blocks.length, 3);
    assert.deepEqual(blocks[1]?.get('diagnostic-code'), ['smtp; 550 more']);
    assert.equal(typedAddress('rfc822; <Z@Y.example>'), 'z@y.example');
  });

  test('status codes are not read out of IP addresses; reply codes come from where MTAs put them', () => {
    assert.equal(findStatus('host 10.5.1.1 said: 550 5.7.1 blocked'), '5.7.1');
    assert.equal(findStatus('host [192.0.2.5] refused'), '');
    assert.equal(findReplyCode('Remote host said: 552 Error: quota'), '552');
    assert.equal(findReplyCode('we tried 550 times'), '');
  });

  test('reasons come from the words first and from specific status codes', () => {
    assert.equal(reasonFor('5.0.0', 'Mailbox is full'), 'mailboxfull');
    assert.equal(reasonFor('5.7.1', 'Client host rejected: blocked using zen.spamhaus.org'), 'blocked');
    assert.equal(reasonFor('5.1.1', 'anything at all'), 'userunknown');
    assert.equal(reasonFor('4.4.7', '', 'delayed'), 'expired');
  });
});
