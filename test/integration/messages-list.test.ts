// `postroom messages list` filters as an admin looks for one mail: by sender, subject text,
// Message-ID and time, the newest first; wrong values name the flag.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir, writeConfig } from '../support/engine.ts';

describe('postroom messages list filters', () => {
  let dir: string;
  let config: string;
  const cli = (...args: string[]) => runCli(['-c', config, ...args], { cwd: dir });
  const subjects = async (...args: string[]): Promise<string[]> => {
    const run = await cli('messages', 'list', '--json', ...args);
    assert.equal(run.code, 0, run.stderr);
    return (JSON.parse(run.stdout) as { subject: string }[]).map((m) => m.subject);
  };

  before(async () => {
    dir = tempDir('postroom-list-');
    config = writeConfig(dir, [`dataDir: ${dir}/data`, 'log: { level: warn }'].join('\n'));
    mkdirSync(join(dir, 'in'));
    const mails = [
      ['Anna Weber <Anna@Example.com>', 'Printer jammed', 'a1@example.com'],
      ['bob@example.com', 'Toner for the printer', 'b1@example.com'],
      ['anna@example.com', 'Invoice 42', 'a2@example.com'],
    ];
    mails.forEach(([from, subject, id], i) =>
      writeFileSync(join(dir, 'in', `${i}.eml`), `From: ${from}\r\nTo: support@localhost\r\nSubject: ${subject}\r\nMessage-ID: <${id}>\r\n\r\nhello\r\n`),
    );
    assert.equal((await cli('ingest', join(dir, 'in'))).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--from takes the bare address in any case; --subject any part of the subject', async () => {
    assert.deepEqual(await subjects('--from', 'ANNA@example.com'), ['Printer jammed', 'Invoice 42']);
    assert.deepEqual(await subjects('--subject', 'printer'), ['Printer jammed', 'Toner for the printer']);
    assert.deepEqual(await subjects('--message-id', '<b1@example.com>'), ['Toner for the printer']);
  });

  it('--since takes a duration back or a date; --newest lists the last ones first', async () => {
    assert.equal((await subjects('--since', '1h')).length, 3);
    assert.deepEqual(await subjects('--since', '2999-01-01'), []);
    assert.deepEqual(await subjects('--newest', '--limit', '2'), ['Invoice 42', 'Toner for the printer']);
  });

  it('a wrong --since or --limit names the flag and what to give', async () => {
    const since = await cli('messages', 'list', '--since', 'last week');
    assert.equal(since.code, 1);
    assert.match(since.stderr, /--since last week: give a duration back from now \(7d, 2h\) or a date/);
    const limit = await cli('messages', 'list', '--limit', 'all');
    assert.equal(limit.code, 1);
    assert.match(limit.stderr, /--limit all: give a whole number/);
  });
});
