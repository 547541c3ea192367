import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import type { ParsedMessage } from '../../src/core/plan.ts';
import { findForwarded, isForwardSubject, parseSender } from '../../src/decide/categorize/forwarded.ts';
import { parseMessage } from '../../src/decide/parse/parse-message.ts';
import { MemoryBlobStore } from '../../src/store/blobs/memory-blobs.ts';

const limits = { headerSize: 1e6, mimeDepth: 20, parts: 500, attachments: 100, attachmentsTotalSize: 1e9 };

async function parseRaw(raw: string): Promise<ParsedMessage> {
  const blobs = new MemoryBlobStore();
  const { sha256 } = await blobs.put(Readable.from([Buffer.from(raw.replace(/\r?\n/g, '\r\n'))]));
  return parseMessage(blobs, sha256, limits);
}

function plain(subject: string, body: string): Promise<ParsedMessage> {
  return parseRaw(
    [
      'From: Ba Bar <ba@bar.example>',
      'To: team@bar.example',
      `Subject: ${subject}`,
      'Date: Mon, 3 Mar 2025 10:00:00 +0000',
      'Message-ID: <f1@bar.example>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
    ].join('\n'),
  );
}

describe('findForwarded: inline blocks', () => {
  test('Gmail "---------- Forwarded message ---------"', async () => {
    const f = findForwarded(
      await plain(
        'Fwd: Invoice 42',
        'Can you handle this?\n\n---------- Forwarded message ---------\nFrom: Some One <Some@One.example>\nDate: Mon, 3 Mar 2025 at 09:00\nSubject: Invoice 42\nTo: <ba@bar.example>\n\nPlease pay.\n',
      ),
    );
    assert.deepEqual(f, {
      from: { address: 'some@one.example', name: 'Some One' },
      date: 'Mon, 3 Mar 2025 at 09:00',
      subject: 'Invoice 42',
      note: 'Can you handle this?',
    });
  });

  test('German Gmail "Weitergeleitete Nachricht" with Von/Betreff', async () => {
    const f = findForwarded(
      await plain(
        'WG: Rechnung',
        'Bitte prüfen.\n\n---------- Weitergeleitete Nachricht ---------\nVon: Max Muster <max@example.de>\nDate: Mo., 3. März 2025 um 09:00 Uhr\nSubject: Rechnung\nTo: <ba@bar.example>\n\nText\n',
      ),
    );
    assert.equal(f?.from?.address, 'max@example.de');
    assert.equal(f?.subject, 'Rechnung');
    assert.equal(f?.note, 'Bitte prüfen.');
  });

  test('Apple Mail "Begin forwarded message:" with quoted header lines', async () => {
    const f = findForwarded(
      await plain(
        'Fwd: Lunch',
        'FYI\n\nSent from my iPhone\n\nBegin forwarded message:\n\n> From: "Ann Lee" <ann@example.com>\n> Date: 3 March 2025 at 09:00:00 GMT\n> To: Ba Bar <ba@bar.example>\n> Subject: Lunch\n>\n> Noon?\n',
      ),
    );
    assert.deepEqual(f, {
      from: { address: 'ann@example.com', name: 'Ann Lee' },
      date: '3 March 2025 at 09:00:00 GMT',
      subject: 'Lunch',
      note: 'FYI',
    });
  });

  test('Outlook "FW:" with a rule, [mailto:] sender and a subject wrapped over two lines', async () => {
    const f = findForwarded(
      await plain(
        'FW: Order',
        'See below.\n\n________________________________\nFrom: Order Desk [mailto:orders@shop.example]\nSent: Monday, March 3, 2025 9:00 AM\nTo: Ba Bar\nSubject: Order 42 has\nshipped today\n\nTracking: 123\n',
      ),
    );
    assert.equal(f?.from?.address, 'orders@shop.example');
    assert.equal(f?.from?.name, 'Order Desk');
    assert.equal(f?.subject, 'Order 42 has shipped today');
    assert.equal(f?.date, 'Monday, March 3, 2025 9:00 AM');
    assert.equal(f?.note, 'See below.');
  });

  test('an Outlook reply (RE:) with the same header block is no forward', async () => {
    const f = findForwarded(
      await plain(
        'RE: Order',
        'Thanks.\n\n________________________________\nFrom: Order Desk <orders@shop.example>\nSent: Monday, March 3, 2025 9:00 AM\nTo: Ba Bar\nSubject: Order\n\nShipped.\n',
      ),
    );
    assert.equal(f, null);
  });

  test('ordinary mail mentioning "From:" is no forward', async () => {
    assert.equal(
      findForwarded(await plain('Question', 'Hi,\n\nFrom: the team, thanks for the help.\n')),
      null,
    );
  });
});

describe('findForwarded: message/rfc822 attachment', () => {
  const attached = (subject: string, extraPart = ''): Promise<ParsedMessage> =>
    parseRaw(
      [
        'From: Ba Bar <ba@bar.example>',
        'To: team@bar.example',
        `Subject: ${subject}`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Forwarding as attachment.',
        extraPart,
        '--b1',
        'Content-Type: message/rfc822',
        'Content-Disposition: attachment; filename="orig.eml"',
        '',
        'From: =?UTF-8?B?SsO2cmc=?= <joerg@example.de>',
        'Date: Sun, 2 Mar 2025 08:00:00 +0100',
        'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
        '',
        'Hallo',
        '--b1--',
        '',
      ].join('\n'),
    );

  test('a forward as attachment: headers decoded, the body text is the note', async () => {
    const f = findForwarded(await attached('Fwd: Gruesse'));
    assert.equal(f?.from?.address, 'joerg@example.de');
    assert.equal(f?.from?.name, 'Jörg');
    assert.equal(f?.subject, 'Grüße');
    assert.equal(f?.date, 'Sun, 2 Mar 2025 08:00:00 +0100');
    assert.match(f?.note ?? '', /^Forwarding as attachment\./);
  });

  test('an attached message without a forward subject (a bounce, a spam report) is no forward', async () => {
    assert.equal(findForwarded(await attached('Undelivered Mail Returned to Sender')), null);
  });
});

describe('helpers', () => {
  test('forward subject prefixes across clients and languages', () => {
    for (const s of [
      'Fwd: x',
      'FW: x',
      'Tr: x',
      'WG: x',
      'RV: x',
      'I: x',
      'Doorst: x',
      'ENC: x',
      'PD: x',
      'VB: x',
      'Re: Fwd: x',
      '[list] Fwd: x',
      '转发: x',
    ])
      assert.ok(isForwardSubject(s), s);
    for (const s of ['Re: x', 'AW: x', 'Invoice 42', 'Information: x', 'Fwdx'])
      assert.ok(!isForwardSubject(s), s);
  });

  test('sender forms', () => {
    assert.deepEqual(parseSender('"Miguel" <Foo@Bar.es>'), { address: 'foo@bar.es', name: 'Miguel' });
    assert.deepEqual(parseSender('Discourse <info@discourse.org<mailto:info@discourse.org>>'), {
      address: 'info@discourse.org',
      name: 'Discourse',
    });
    assert.deepEqual(parseSender('foo@bar.com'), { address: 'foo@bar.com', name: '' });
    assert.deepEqual(parseSender('Gavin (gavin@example.com)'), {
      address: 'gavin@example.com',
      name: 'Gavin',
    });
  });
});
