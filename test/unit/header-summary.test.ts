// The listing fields intake reads from each mail's header block before the full parse.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { summarizeHeaders } from '../../src/intake/header-summary.ts';

const mail = (lines: string[], eol = '\r\n'): Buffer => Buffer.from(lines.join(eol), 'latin1');

it('reads Message-ID, Subject and From, unfolding folded lines, with CRLF or LF', () => {
  for (const eol of ['\r\n', '\n']) {
    const summary = summarizeHeaders(
      mail(
        [
          'Received: from a by b;',
          '\tMon, 1 Jan 2026 10:00:00 +0000',
          'From: "Doe, Jane"',
          ' <Jane.Doe@Example.com>',
          'Subject: Printer on floor 3',
          '  is out of toner',
          'Message-ID: <abc@example.com>',
          '',
          'Subject: not a header, the body',
        ],
        eol,
      ),
    );
    assert.deepEqual(summary, { messageId: 'abc@example.com', subject: 'Printer on floor 3 is out of toner', from: 'jane.doe@example.com' });
  }
});

it('keeps the first of a repeated field, with none of the second one’s folded lines', () => {
  const summary = summarizeHeaders(mail(['Subject: first', 'Subject: second', ' continued', 'From: a@example.com', '', 'body']));
  assert.equal(summary.subject, 'first');
  assert.equal(summary.from, 'a@example.com');
});

it('decodes encoded words and 8-bit UTF-8 header text', () => {
  const encoded = summarizeHeaders(mail(['Subject: =?UTF-8?B?R3LDvMOfZQ==?=', '', '']));
  assert.equal(encoded.subject, 'Grüße');
  const raw = Buffer.concat([Buffer.from('Subject: '), Buffer.from('Grüße', 'utf8'), Buffer.from('\r\n\r\nbody')]);
  assert.equal(summarizeHeaders(raw).subject, 'Grüße');
});

it('gives null for fields a mail lacks, and reads a header block with no body', () => {
  assert.deepEqual(summarizeHeaders(mail(['X-Other: 1', 'Subject: only this'])), { messageId: null, subject: 'only this', from: null });
  assert.deepEqual(summarizeHeaders(Buffer.alloc(0)), { messageId: null, subject: null, from: null });
});

it('reads nothing from the body, even a line that looks like a header', () => {
  const summary = summarizeHeaders(mail(['Subject: s', '', 'From: body@example.com', 'Message-ID: <body@example.com>']));
  assert.deepEqual(summary, { messageId: null, subject: 's', from: null });
});

it('finds the end of a header block with mixed line ends', () => {
  for (const blank of ['\n\n', '\n\r\n', '\r\n\n']) {
    const summary = summarizeHeaders(Buffer.from(`Subject: s\r\nFrom: a@example.com${blank}Message-ID: <body@example.com>\r\n\r\nmore`));
    assert.deepEqual(summary, { messageId: null, subject: 's', from: 'a@example.com' }, JSON.stringify(blank));
  }
});
