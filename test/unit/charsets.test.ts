import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import Encoding from 'encoding-japanese';
import iconv from 'iconv-lite';
import { decodeText, resolveCharset } from '../../src/decide/parse/charset.ts';
import { decodeHeaderValue } from '../../src/decide/parse/header-words.ts';
import { parseMessage } from '../../src/decide/parse/parse-message.ts';
import { MemoryBlobStore } from '../../src/store/blobs/memory-blobs.ts';

const limits = {
  headerSize: 1 << 20,
  mimeDepth: 20,
  parts: 500,
  attachments: 100,
  attachmentsTotalSize: 1 << 28,
};

async function parse(raw: Buffer | string) {
  const blobs = new MemoryBlobStore();
  const { sha256 } = await blobs.put(
    Readable.from([Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1')]),
  );
  return parseMessage(blobs, sha256, limits);
}

describe('decodeText', () => {
  const samples: [string, string, Buffer][] = [
    ['Shift_JIS', 'お問い合わせ', iconv.encode('お問い合わせ', 'shift_jis')],
    ['EUC-JP', 'お問い合わせ', iconv.encode('お問い合わせ', 'euc-jp')],
    [
      'ISO-2022-JP',
      'お問い合わせ',
      Buffer.from(Encoding.convert(Encoding.stringToCode('お問い合わせ'), { to: 'JIS', from: 'UNICODE' })),
    ],
    ['EUC-KR', '안녕하세요', iconv.encode('안녕하세요', 'euc-kr')],
    ['GB2312', '发现最美车间主任', iconv.encode('发现最美车间主任', 'gbk')],
    ['GBK', '发现最美车间主任', iconv.encode('发现最美车间主任', 'gbk')],
    ['GB18030', '发现最美车间主任', iconv.encode('发现最美车间主任', 'gb18030')],
    ['Big5', '繁體中文', iconv.encode('繁體中文', 'big5')],
    ['KOI8-R', 'Сергей Углицких', iconv.encode('Сергей Углицких', 'koi8-r')],
    ['KOI8-U', 'Привіт', iconv.encode('Привіт', 'koi8-u')],
    ['windows-1251', 'Сергей', iconv.encode('Сергей', 'windows-1251')],
    ['windows-1250', 'Příliš žluťoučký', iconv.encode('Příliš žluťoučký', 'windows-1250')],
    ['ISO-8859-2', 'Namedyński', iconv.encode('Namedyński', 'iso-8859-2')],
    ['ISO-8859-15', 'Preis: 5 €', iconv.encode('Preis: 5 €', 'iso-8859-15')],
    ['UTF-7', 'Übermittlung', Buffer.from('+ANw-bermittlung')],
    ['unicode-1-1-utf-7', 'über', Buffer.from('+APw-ber')],
  ];
  for (const [label, text, bytes] of samples)
    it(`decodes ${label} as labelled, without a warning`, () => {
      const out = decodeText(bytes, label, 'part 1');
      assert.equal(out.text, text);
      assert.equal(out.warning, null);
    });

  it('reads misspelled labels: quotes, win-1252, cp-1251, iso8859-1, utf8', () => {
    assert.equal(resolveCharset('"win-1252"'), 'windows-1252');
    assert.equal(resolveCharset('cp-1251'), 'windows-1251');
    assert.equal(resolveCharset('iso8859-1'), 'windows-1252');
    assert.equal(resolveCharset('UTF8'), 'utf-8');
    assert.equal(resolveCharset('x-unknown'), null);
  });

  it('detects 8-bit bytes under us-ascii: Latin-1', () => {
    const out = decodeText(iconv.encode('Grüße aus München', 'latin1'), 'us-ascii', 'part 2');
    assert.equal(out.text, 'Grüße aus München');
    assert.match(out.warning ?? '', /^part 2: charset "us-ascii" but 8-bit bytes; decoded as windows-125\d$/);
  });

  it('detects UTF-8 in a part without a charset', () => {
    const out = decodeText(Buffer.from('Grüße 使って'), null, 'part 1');
    assert.equal(out.text, 'Grüße 使って');
    assert.match(out.warning ?? '', /no charset given; decoded as utf-8/);
  });

  it('reads EUC-JP bytes mislabelled ISO-2022-JP (a carrier bounce) as EUC-JP', () => {
    const text = '次のあて先へのメッセージはエラーのため送信できませんでした。';
    const out = decodeText(iconv.encode(text, 'euc-jp'), 'ISO-2022-JP', 'part 1');
    assert.equal(out.text, text);
    assert.equal(out.charset, 'eucjp');
    assert.ok(out.warning);
  });

  it('decodes an unknown charset as best it can and says so', () => {
    const out = decodeText(iconv.encode('Gebühr für Änderungen', 'windows-1252'), 'x-unknown', 'part 2');
    assert.equal(out.text, 'Gebühr für Änderungen');
    assert.match(out.warning ?? '', /^part 2: charset "x-unknown" is unknown; decoded as /);
  });

  it('takes UTF-8 under an iso-8859-1 label as UTF-8', () => {
    const out = decodeText(Buffer.from('Café crème'), 'iso-8859-1', 'part 1');
    assert.equal(out.text, 'Café crème');
    assert.ok(out.warning);
  });

  it('keeps UTF-8 with one stray Latin-1 byte, reading that byte as windows-1252', () => {
    const bytes = Buffer.concat([
      Buffer.from('Grüße, schöne Grüße, '.repeat(3)),
      Buffer.from([0x43, 0x61, 0x66, 0xe9]),
    ]);
    const out = decodeText(bytes, 'utf-8', 'part 1');
    assert.ok(out.text.endsWith('Café'));
    assert.match(out.warning ?? '', /1 byte\(s\) in the UTF-8 text are not UTF-8/);
  });

  it('finds ISO-2022-JP without a label by its escape sequences', () => {
    const jis = Buffer.from(
      Encoding.convert(Encoding.stringToCode('日本語'), { to: 'JIS', from: 'UNICODE' }),
    );
    assert.equal(decodeText(jis, null, 'part 1').text, '日本語');
  });
});

describe('decodeHeaderValue (RFC 2047, leniently)', () => {
  it('joins a UTF-8 character split across two encoded words', () => {
    // "ü" is C3 BC; the encoder cut between the two bytes
    assert.equal(decodeHeaderValue('=?UTF-8?Q?Gr=C3?= =?UTF-8?Q?=BC=C3=9Fe?=', 'Subject').text, 'Grüße');
  });
  it('decodes words run together without a space', () => {
    assert.equal(
      decodeHeaderValue('=?iso-8859-1?Q?Priorit=E4t?==?utf-8?B?IOS9v+OBo+OBpg==?=', 'Subject').text,
      'Priorität 使って',
    );
  });
  it('decodes UTF-7 words, even folded inside the word', () => {
    assert.equal(
      decodeHeaderValue(
        'zum =?unicode-1-1-utf-7?Q?+ANw-bermittlungsstatus\r\n\t(Fehlgeschlagen)?=',
        'Subject',
      ).text,
      'zum Übermittlungsstatus\t(Fehlgeschlagen)',
    );
  });
  it('reads a misspelled charset name and guesses an unknown one with a warning', () => {
    assert.equal(decodeHeaderValue('=?win-1252?Q?Caf=E9?=', 'Subject').text, 'Café');
    const out = decodeHeaderValue('=?x-bogus?Q?J=F6rg?=', 'From');
    assert.equal(out.text, 'Jörg');
    assert.match(out.warnings[0] ?? '', /From: charset "x-bogus" is unknown/);
  });
  it('decodes raw 8-bit header text', () => {
    assert.equal(decodeHeaderValue(Buffer.from('Grüße').toString('latin1'), 'Subject').text, 'Grüße');
  });
});

describe('parseMessage charsets and structure', () => {
  it('decodes an unlabelled Latin-1 body, a UTF-7 subject and an unknown charset without failing', async () => {
    const raw = Buffer.concat([
      Buffer.from(
        'From: =?x-bogus?Q?J=F6rg?= <j@example.com>\r\nTo: a@example.com\r\n' +
          'Subject: =?unicode-1-1-utf-7?Q?+ANw-bermittlung?=\r\nMIME-Version: 1.0\r\n' +
          'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n',
      ),
      iconv.encode('Grüße\r\n', 'latin1'),
      Buffer.from('--b\r\nContent-Type: text/plain; charset=x-garbage\r\n\r\n'),
      iconv.encode('Straße\r\n', 'windows-1252'),
      Buffer.from('--b--\r\n'),
    ]);
    const p = await parse(raw);
    assert.equal(p.subject, 'Übermittlung');
    assert.equal(p.from?.name, 'Jörg');
    assert.match(p.text, /Grüße/);
    assert.match(p.text, /Straße/);
    assert.ok(
      p.warnings.some((w) => /^part 1: no charset given/.test(w)),
      p.warnings.join('\n'),
    );
    assert.ok(
      p.warnings.some((w) => /^part 2: charset "x-garbage" is unknown; decoded as/.test(w)),
      p.warnings.join('\n'),
    );
  });

  it('gives the text of an HTML-only body inside multipart/mixed', async () => {
    const p = await parse(
      'From: a@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n' +
        '--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello &uuml;ber <b>all</b></p>\r\n' +
        '--b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n',
    );
    assert.match(p.text, /Hello über all/);
    assert.equal(p.attachments.length, 1);
  });

  it('uses the first From that holds an address, and an address written as a comment', async () => {
    const p = await parse(
      'From: [??????]\r\nFrom: =?utf-8?B?6YO955C5?= <g@example.cn>\r\n' +
        'To: =?iso-8859-2?Q?Namedy=F1ski?= (hans@example.com)\r\nSubject: x\r\n\r\nbody\r\n',
    );
    assert.deepEqual(p.from, { address: 'g@example.cn', name: '都琹' });
    assert.deepEqual(p.to, [{ address: 'hans@example.com', name: 'Namedyński' }]);
  });

  it('names an unnamed inline image from its Outlook-style Content-ID', async () => {
    const p = await parse(
      'From: a@example.com\r\nContent-Type: multipart/related; boundary=b\r\n\r\n' +
        '--b\r\nContent-Type: text/html\r\n\r\n<img src="cid:image001.jpg@01CD">\r\n' +
        '--b\r\nContent-Type: image/jpeg\r\nContent-ID: <image001.jpg@01CD>\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/\r\n--b--\r\n',
    );
    assert.equal(p.attachments[0]?.filename, 'image001.jpg');
  });
});

describe('parseMessage repairs broken MIME structure', () => {
  const head = (contentType: string) =>
    `From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nTo: a@example.com\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\nContent-Type: ${contentType}\r\n\r\n`;

  it('uses the boundary the body really uses when the header declares another one', async () => {
    const raw =
      head('multipart/report; report-type=delivery-status;\r\n\tboundary="AAA.111/mx.example.org"') +
      '--AAA.222/mx.example.org\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver it.\r\n' +
      '--AAA.222/mx.example.org\r\nContent-Type: message/delivery-status\r\n\r\n' +
      'Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; gone@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n' +
      '--AAA.222/mx.example.org--\r\n';
    const p = await parse(raw);
    assert.equal(p.text.trim(), 'The mail system could not deliver it.');
    assert.deepEqual(
      p.reports.map((r) => r.contentType),
      ['message/delivery-status'],
    );
    assert.match(p.reports[0]?.text ?? '', /Status: 5\.1\.1/);
    assert.ok(p.warnings.some((w) => w.includes('AAA.222/mx.example.org')));
  });

  it('reads a multipart without any boundary line (upper-case BOUNDARY=) as plain text', async () => {
    const raw =
      head('multipart/report;\r\n    BOUNDARY="Boundary_(ID_x)"; report-type=delivery-status') +
      'Your message cannot be delivered to the following recipients:\r\n\r\n  Recipient address: gone@example.net\r\n';
    const p = await parse(raw);
    assert.match(p.text, /Recipient address: gone@example\.net/);
    assert.ok(p.warnings.some((w) => w.includes('without any boundary line')));
  });

  it('joins a boundary parameter folded onto a line without indentation', async () => {
    const raw =
      head('multipart/mixed; boundary="outer"') +
      '--outer\r\nContent-Type: multipart/alternative;\r\nboundary="inner"\r\n\r\n' +
      '--inner\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nError: Invalid user address\r\n--inner--\r\n\r\n--outer--\r\n';
    const p = await parse(raw);
    assert.equal(p.text.trim(), 'Error: Invalid user address');
  });

  it("separates Content-Type parameters written without ';'", async () => {
    const raw =
      head('multipart/mixed; boundary="b1"') +
      '--b1\r\nContent-Type: text/plain\r\n   charset="us-ascii"\r\n\r\nkijitora@example.org [User unknown]\r\n--b1--\r\n';
    const p = await parse(raw);
    assert.equal(p.text.trim(), 'kijitora@example.org [User unknown]');
    assert.deepEqual(p.attachments, []);
  });

  it('leaves a well-formed multipart alone, without a warning', async () => {
    const raw = head('multipart/mixed; boundary="ok"') + '--ok\r\nContent-Type: text/plain\r\n\r\nhello\r\n--ok--\r\n';
    const p = await parse(raw);
    assert.equal(p.text.trim(), 'hello');
    assert.deepEqual(p.warnings, []);
  });
});

describe('parseMessage List-* headers', () => {
  it('keeps each List-* header under its own name, exact, and never writes [object Object]', async () => {
    const raw =
      'From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n' +
      'List-Id: "Dev list" <dev.example.org>\r\n' +
      'List-Unsubscribe: <mailto:leave@example.org>,\r\n <https://example.org/leave>\r\n' +
      'List-Post: <mailto:dev@example.org>\r\n\r\nhello\r\n';
    const p = await parse(raw);
    assert.deepEqual(p.headers['list-id'], ['"Dev list" <dev.example.org>']);
    assert.deepEqual(p.headers['list-unsubscribe'], ['<mailto:leave@example.org>, <https://example.org/leave>']);
    assert.deepEqual(p.headers['list-post'], ['<mailto:dev@example.org>']);
    assert.equal(p.headers['list'], undefined);
    for (const values of Object.values(p.headers)) for (const v of values) assert.ok(!v.includes('[object Object]'));
  });
});
