// `postroom decide` as a user and a script run it: real files, the real CLI, nothing written.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { root, runCli, tempDir } from '../support/engine.ts';

interface Report {
  file: string;
  subject: string;
  from: { address: string; name: string } | null;
  to: { address: string; name: string }[];
  text: string;
  attachments: { filename: string; contentType: string; size: number; sha256: string; inline: boolean }[];
  class: string;
  category: string;
  notice: { kind: string; recipients: { address: string; status: string; hard: boolean; reason: string }[] } | null;
  replyText: string;
  forwarded: { from: { address: string } | null } | null;
  autoReply: { evidence: string[] } | null;
  list: boolean;
  suppressAutoAnswer: boolean;
  warnings: string[];
  trace: { stage: string; concluded: string }[];
}

const corpus = join(root, 'test/corpora');

describe('postroom decide', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    mkdirSync(join(dir, 'mail'));
    writeFileSync(
      join(dir, 'mail', 'reply.eml'),
      [
        'From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.de>',
        'To: support@localhost',
        'Subject: AW: Drucker',
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Danke, geht wieder. Gr=FC=DFe',
        '',
        'Am 24.11.2026 um 10:00 schrieb Support <support@localhost>:',
        '> Bitte neu starten.',
        '',
      ].join('\r\n'),
    );
    writeFileSync(
      join(dir, 'mail', 'list.eml'),
      ['From: news@lists.example.org', 'To: support@localhost', 'Subject: Weekly digest', 'List-Id: <news.lists.example.org>', 'List-Unsubscribe: <mailto:leave@lists.example.org>', 'Precedence: list', '', 'This week.', ''].join('\r\n'),
    );
    writeFileSync(join(dir, 'mail', 'notes.txt'), 'not looked at: no .eml name');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--json gives one object per file with the parsed message, class, category, notice, replyText and trace', async () => {
    const bounce = join(corpus, 'bounces/emails/lhost-postfix-01.eml');
    const result = await runCli(['decide', '--json', bounce, join(dir, 'mail')], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const reports = JSON.parse(result.stdout) as Report[];
    assert.deepEqual(reports.map((r) => r.file), [bounce, join(dir, 'mail', 'list.eml'), join(dir, 'mail', 'reply.eml')]);
    const [b, list, reply] = reports as [Report, Report, Report];

    assert.equal(b.class, 'bounce');
    assert.equal(b.notice?.kind, 'bounce');
    assert.equal(b.notice?.recipients.length, 1);
    assert.equal(b.notice?.recipients[0]?.status, '5.1.1');
    assert.equal(b.notice?.recipients[0]?.hard, true);
    assert.ok(b.trace.some((t) => t.stage === 'screen' && t.concluded === 'bounce'));

    assert.equal(list.class, 'general');
    assert.equal(list.list, true, 'list mail is flagged');
    assert.equal(list.autoReply, null, 'and not called an auto-reply');

    assert.equal(reply.category, 'reply');
    assert.deepEqual(reply.from, { address: 'joerg@example.de', name: 'Jörg Müller' });
    assert.match(reply.text, /Grüße/);
    assert.equal(reply.replyText.trim(), 'Danke, geht wieder. Grüße');
    assert.equal(reply.class, 'general');
    // The flag the outbound side obeys: machine mail and list mail are never answered automatically.
    assert.deepEqual([b.suppressAutoAnswer, list.suppressAutoAnswer, reply.suppressAutoAnswer], [true, true, false]);
  });

  it('prints a readable table without --json, and writes nothing', async () => {
    const result = await runCli(['decide', join(corpus, 'james-mdn/emails/mdn_simple.eml')], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^FILE\s+CLASS\s+CATEGORY\s+FROM\s+SUBJECT\s+DETAILS/);
    assert.match(result.stdout, /read_receipt/);
    assert.equal(existsSync(join(dir, 'data')), false, 'no data folder was created');
    assert.deepEqual(readdirSync(dir).sort(), ['mail']);
  });

  it('exits 66 for a missing path and 65 for a file that is not mail', async () => {
    const missing = await runCli(['decide', join(dir, 'nope.eml')], { cwd: dir });
    assert.equal(missing.code, 66);
    assert.match(missing.stderr, /nope\.eml/);
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const none = await runCli(['decide', empty], { cwd: dir });
    assert.equal(none.code, 65, 'a folder without mail');
  });
});
