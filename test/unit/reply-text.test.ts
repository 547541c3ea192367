import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import type { ParsedMessage } from '../../src/core/plan.ts';
import { trimReply, trimReplyText } from '../../src/decide/categorize/reply-text.ts';
import { parseMessage } from '../../src/decide/parse/parse-message.ts';
import { MemoryBlobStore } from '../../src/store/blobs/memory-blobs.ts';

const limits = { headerSize: 1e6, mimeDepth: 20, parts: 500, attachments: 100, attachmentsTotalSize: 1e9 };

async function parse(contentType: string, body: string): Promise<ParsedMessage> {
  const raw = [
    'From: Jane Doe <jane@example.com>',
    'To: support@example.org',
    'Subject: Re: question',
    'Date: Mon, 3 Mar 2025 10:00:00 +0000',
    'Message-ID: <m1@example.com>',
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}; charset=utf-8`,
    'Content-Transfer-Encoding: 8bit',
    '',
    body,
  ].join('\r\n');
  const blobs = new MemoryBlobStore();
  const { sha256 } = await blobs.put(Readable.from([Buffer.from(raw)]));
  return parseMessage(blobs, sha256, limits);
}

const reply = (text: string): string => trimReplyText(text).replyText;

describe('trimReplyText: attributions', () => {
  test('Gmail "On … wrote:" and the quote below it are cut', () => {
    const r = trimReplyText(
      'Thanks, that works.\n\nOn Mon, Mar 3, 2025 at 10:00 AM Support <support@example.org> wrote:\n\n> Did it work?\n> Regards\n',
    );
    assert.equal(r.replyText, 'Thanks, that works.');
    assert.equal(
      r.removedText,
      'On Mon, Mar 3, 2025 at 10:00 AM Support <support@example.org> wrote:\n\n> Did it work?\n> Regards',
    );
  });

  test('an attribution wrapped over two lines is one marker', () => {
    assert.equal(
      reply(
        'Fine.\n\nOn Mon, Mar 3, 2025 at 10:00 AM, Support Team <\nsupport@example.org> wrote:\n\n> Old text\n',
      ),
      'Fine.',
    );
  });

  const localized: [string, string][] = [
    ['de', 'Am 03.03.2025 um 10:00 schrieb Max Muster <max@example.org>:'],
    ['de Gmail', 'Max Muster <max@example.org> schrieb am Mo., 3. März 2025 um 10:00 Uhr:'],
    ['fr', 'Le 3 mars 2025 à 10:00, Jean <jean@example.org> a écrit :'],
    ['es', 'El lun, 3 mar 2025 a las 10:00, Ana (<ana@example.org>) escribió:'],
    ['it', 'Il giorno lun 3 mar 2025 alle ore 10:00 Luca <luca@example.org> ha scritto:'],
    ['nl', 'Op ma 3 mrt. 2025 om 10:00 schreef Piet <piet@example.org>:'],
    ['pt', 'Em seg., 3 de mar. de 2025 às 10:00, João <joao@example.org> escreveu:'],
    ['pl', 'pon., 3 mar 2025 o 10:00 Jan <jan@example.org> napisał(a):'],
    ['sv', 'Den mån 3 mars 2025 kl 10:00 skrev Sven <sven@example.org>:'],
    ['ru', '3 марта 2025 г., в 10:00, Иван <ivan@example.org> написал(а):'],
    ['ru Thunderbird', '03.03.2025 10:00, Иван пишет:'],
    ['ja', '2025年3月3日(月) 10:00 山田 <yamada@example.org>:'],
    ['zh', '在 2025年3月3日，上午10:00，王 <wang@example.org> 写道：'],
  ];
  for (const [lang, line] of localized)
    test(`${lang}: "${line}"`, () => {
      assert.equal(reply(`Danke.\n\n${line}\n\n> Alte Nachricht\n> Zweite Zeile\n`), 'Danke.');
    });

  test('Outlook: rule and From/Sent/To/Subject block with the history unquoted below', () => {
    const r = trimReplyText(
      'See attached.\n\n________________________________\nFrom: Support <support@example.org>\nSent: Monday, March 3, 2025 10:00 AM\nTo: Jane Doe\nSubject: RE: question\n\nOld body\n',
    );
    assert.equal(r.replyText, 'See attached.');
    assert.match(r.removedText, /^_+\nFrom: Support/);
    assert.match(r.removedText, /Old body$/);
  });

  test('Outlook header block without a rule, with *bold* names', () => {
    assert.equal(
      reply(
        'OK\n\n*From:* Support\n*Sent:* 2025-03-03\n*To:* jane@example.com\n*Subject:* question\n\nOld body',
      ),
      'OK',
    );
  });

  test('-----Original Message----- cuts the history', () => {
    assert.equal(reply('Yes.\n\n-----Original Message-----\nFrom: a@b.c\nOld body'), 'Yes.');
  });

  test('the writer answered below the history (bottom posting)', () => {
    assert.equal(
      reply(
        'On 3 Mar 2025 10:00, "Support" <support@example.org> wrote:\n\n> Does it work?\n\nYes, it does.',
      ),
      'Yes, it does.',
    );
  });

  test('interleaved answers between quotes are kept', () => {
    const text =
      'On Mon, Mar 3, 2025 at 10:00 AM Support <s@example.org> wrote:\n> First question?\n\nFirst answer.\n\n> Second question?\n\nSecond answer.';
    const got = reply(`Hi,\n\n${text}`);
    assert.match(got, /First answer\./);
    assert.match(got, /Second answer\./);
    assert.match(got, /> Second question\?/);
  });
});

describe('trimReplyText: signatures', () => {
  test('the "-- " delimiter and what follows go', () => {
    const r = trimReplyText('Thanks!\n\n-- \nJane Doe\nACME Inc.');
    assert.equal(r.replyText, 'Thanks!');
    assert.equal(r.removedText, '--\nJane Doe\nACME Inc.'.replace('--', '-- '));
  });

  test('phone taglines go, in several languages', () => {
    for (const tagline of [
      'Sent from my iPhone',
      'Von meinem iPad gesendet',
      'Envoyé de mon iPhone',
      'Enviado desde mi iPhone',
      'Get Outlook for Android',
    ])
      assert.equal(reply(`Will do.\n\n${tagline}`), 'Will do.', tagline);
  });

  test('a rule above any text is a banner, not a signature', () => {
    assert.equal(reply('==========\nNew form entry\nName: Rémi\n'), '==========\nNew form entry\nName: Rémi');
  });
});

describe('trimReplyText: ordinary prose is left alone', () => {
  const prose = [
    'On the other hand, she said',
    'Am Montag schrieb ich ihm einen Brief.',
    'Den här veckan skrev jag en rapport.',
    'From my perspective this is fine and we should go ahead with the plan.',
    'To: everyone who asked, the office is closed on Friday.',
    'Sent the invoice to accounting yesterday as you asked, and they confirmed receipt of it this morning.',
  ];
  for (const line of prose)
    test(JSON.stringify(line), () => {
      const text = `Hello,\n\n${line}\n\nBest,\nJane`;
      assert.equal(reply(text), text);
    });

  test('code in ``` fences keeps its "#" lines', () => {
    const text = 'Try this:\n\n```\n# comment\n#\n----\n```\n\nDone.';
    assert.equal(reply(text), text);
  });

  test('CRLF bodies and blank edges', () => {
    assert.equal(reply('\r\n\r\nLine one\r\nLine two\r\n\r\n'), 'Line one\nLine two');
  });
});

describe('trimReply on parsed mail', () => {
  test('text/plain mail', async () => {
    const parsed = await parse(
      'text/plain',
      'Done.\n\nOn Mon, Mar 3, 2025 at 10:00 AM Bob <bob@example.org> wrote:\n> Is it done?\n',
    );
    assert.deepEqual(trimReply(parsed), {
      replyText: 'Done.',
      removedText: 'On Mon, Mar 3, 2025 at 10:00 AM Bob <bob@example.org> wrote:\n> Is it done?',
    });
  });

  test('HTML-only mail: gmail_quote, blockquote and gmail_signature are cut before conversion', async () => {
    const html =
      '<div dir="ltr">Thanks, <b>that</b> works.<br><br><div class="gmail_signature">Jane</div></div>' +
      '<div class="gmail_quote"><div class="gmail_attr">On Mon, Mar 3, 2025 at 10:00 AM Bob &lt;bob@example.org&gt; wrote:</div>' +
      '<blockquote class="gmail_quote">Does it work?</blockquote></div>';
    const r = trimReply(await parse('text/html', html));
    assert.equal(r.replyText, 'Thanks, that works.');
    assert.match(r.removedText, /Jane/);
    assert.match(r.removedText, /Does it work\?/);
  });

  test('HTML-only mail: Outlook on the web divRplyFwdMsg cuts everything below it', async () => {
    const html =
      '<div>Approved.</div><div id="appendonsend"></div><div id="divRplyFwdMsg"><b>From:</b> Bob<br><b>Sent:</b> Monday</div><div>Please approve</div>';
    const r = trimReply(await parse('text/html', html));
    assert.equal(r.replyText, 'Approved.');
    assert.match(r.removedText, /Please approve/);
  });
});
