import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { NotMailError, readFileSources } from '../../src/intake/file-sources.ts';
import type { FileMessage, FileSourceKind, ReadFileSourcesOptions } from '../../src/intake/file-sources.ts';
import { looksLikeMail, messageContentOffset } from '../../src/intake/header-peek.ts';

interface Collected {
  kind: FileSourceKind;
  origin: string;
  bytes: Buffer;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function collect(target: string, opts?: ReadFileSourcesOptions): Promise<Collected[]> {
  const out: Collected[] = [];
  for await (const m of readFileSources(target, opts)) {
    out.push({ kind: m.kind, origin: m.origin, bytes: await readAll(m.open()) });
  }
  return out;
}

/** A message with 8-bit bytes in it, to prove nothing is decoded. */
function message(subject: string, body: string, eol = '\n'): Buffer {
  const text = [
    `From: Alice <alice@example.com>`,
    `To: bob@example.com`,
    `Subject: ${subject}`,
    `Content-Type: text/plain; charset=iso-8859-1`,
    `Content-Transfer-Encoding: 8bit`,
    ``,
    body,
    ``,
  ].join('\n');
  const withLatin1 = Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from([0xe9, 0x74, 0xe9, 0x0a])]);
  return eol === '\n'
    ? withLatin1
    : Buffer.from(withLatin1.toString('latin1').replaceAll('\n', eol), 'latin1');
}

/** mboxrd writing: quote /^>*From / lines with one more `>` and follow each message with a blank line. */
function mboxrd(messages: Buffer[], eol = '\n'): Buffer {
  const parts: Buffer[] = [];
  for (const [i, m] of messages.entries()) {
    parts.push(Buffer.from(`From sender${i}@example.com Thu Jan  1 00:00:00 2026${eol}`, 'latin1'));
    parts.push(Buffer.from(m.toString('latin1').replace(/^(>*From )/gm, '>$1'), 'latin1'));
    parts.push(Buffer.from(eol, 'latin1'));
  }
  return Buffer.concat(parts);
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

describe('looksLikeMail', () => {
  it('accepts a header line, after leading blank lines too', () => {
    assert.equal(looksLikeMail(Buffer.from('Received: from x\r\n')), true);
    assert.equal(looksLikeMail(Buffer.from('\r\n\nX-Thing:value\n')), true);
    assert.equal(looksLikeMail(Buffer.from('Subject: h\xe9', 'latin1')), true);
  });

  it('accepts an mbox From line', () => {
    assert.equal(looksLikeMail(Buffer.from('From a@b Thu Jan  1 00:00:00 2026\n')), true);
  });

  it('rejects empty input, prose, binary and header-less lines', () => {
    assert.equal(looksLikeMail(Buffer.alloc(0)), false);
    assert.equal(looksLikeMail(Buffer.from('\n\r\n')), false);
    assert.equal(looksLikeMail(Buffer.from('hello world: this is prose\n')), false);
    assert.equal(looksLikeMail(Buffer.from(': no name\n')), false);
    assert.equal(looksLikeMail(Buffer.from(' Folded: continuation\n')), false);
    assert.equal(looksLikeMail(Buffer.from('Name: value\x00\x01\n')), false);
    assert.equal(looksLikeMail(PNG), false);
  });

  it('locates the message content past blank lines and a From_ line', () => {
    assert.equal(messageContentOffset(Buffer.from('\nSubject: x\n')), 1);
    assert.equal(messageContentOffset(Buffer.from('From a@b date\r\nSubject: x\n')), 15);
  });
});

describe('readFileSources', () => {
  let dir = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'postroom-file-sources-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('yields a single .eml file byte for byte', async () => {
    const path = join(dir, 'single.eml');
    const bytes = message('single', 'Hello');
    await writeFile(path, bytes);
    const got = await collect(path);
    assert.deepEqual(got, [{ kind: 'eml', origin: path, bytes }]);
  });

  it('yields the regular files of a directory sorted by name, skipping dotfiles and subdirectories', async () => {
    const sub = join(dir, 'plain');
    await mkdir(join(sub, 'nested'), { recursive: true });
    const files = { 'b.eml': message('b', 'B'), 'a.eml': message('a', 'A'), 'c.eml': message('c', 'C') };
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(sub, name), bytes);
    await writeFile(join(sub, '.DS_Store'), PNG);
    await writeFile(join(sub, 'nested', 'd.eml'), message('d', 'D'));
    await symlink(join(sub, 'a.eml'), join(sub, 'z-link.eml'));
    const got = await collect(sub);
    assert.deepEqual(
      got.map((m) => [m.kind, m.origin]),
      ['a.eml', 'b.eml', 'c.eml', 'z-link.eml'].map((n) => ['eml', join(sub, n)]),
    );
    assert.deepEqual(got[0]?.bytes, files['a.eml']);
    assert.deepEqual(got[1]?.bytes, files['b.eml']);
    assert.deepEqual(got[2]?.bytes, files['c.eml']);
    assert.deepEqual(got[3]?.bytes, files['a.eml']);
  });

  it('reads a Maildir: new/ then cur/, each by name, ignoring tmp/', async () => {
    const md = join(dir, 'Maildir');
    for (const sub of ['new', 'cur', 'tmp']) await mkdir(join(md, sub), { recursive: true });
    const files: Array<[string, Buffer]> = [
      ['new/1690000002.M2P2.host', message('n2', 'N2')],
      ['new/1690000001.M1P1.host', message('n1', 'N1')],
      ['cur/1680000000.M9P9.host:2,S', message('c1', 'C1', '\r\n')],
      ['cur/1680000001.M1P1.host:2,RS', message('c2', 'C2')],
    ];
    for (const [name, bytes] of files) await writeFile(join(md, name), bytes);
    await writeFile(join(md, 'tmp', '1690000003.M3P3.host'), message('tmp', 'half-delivered'));
    await writeFile(join(md, 'dovecot-uidlist'), 'not mail\n');
    const got = await collect(md);
    const expected = [files[1], files[0], files[2], files[3]];
    assert.deepEqual(
      got,
      expected.map((f) => ({ kind: 'maildir', origin: join(md, f?.[0] ?? ''), bytes: f?.[1] })),
    );
  });

  const bodyWithFromLines = [
    'Before the quoted lines.',
    '',
    'From the start of a line after a blank line',
    '>From an already quoted line',
    '>>From a doubly quoted line',
    'From a line in mid-paragraph',
    ' From with a leading space',
    '',
    '',
  ].join('\n');

  for (const eol of ['\n', '\r\n']) {
    const label = eol === '\n' ? 'LF' : 'CRLF';
    it(`splits an mbox (${label}), unquoting >From lines and dropping separators`, async () => {
      const messages = [
        message('one', 'First', eol),
        message('two', bodyWithFromLines, eol),
        message('three', 'Third', eol),
      ];
      const path = join(dir, `three-${label}.mbox`);
      const raw = mboxrd(messages, eol);
      // The fixture really contains the quoted forms that must be undone.
      assert.ok(raw.includes(`${eol}>From the start`));
      assert.ok(raw.includes(`${eol}>>From an already`));
      assert.ok(raw.includes(`${eol}>>>From a doubly`));
      await writeFile(path, raw);
      const got = await collect(path);
      assert.deepEqual(
        got.map((m) => [m.kind, m.origin]),
        [1, 2, 3].map((n) => ['mbox', `${path}:${n}`]),
      );
      for (const [i, m] of messages.entries()) assert.deepEqual(got[i]?.bytes, m, `message ${i + 1}`);
      const second = got[1]?.bytes.toString('latin1') ?? '';
      assert.ok(second.includes(`${eol}From the start of a line after a blank line${eol}`));
      assert.ok(second.includes(`${eol}>From an already quoted line${eol}`));
    });
  }

  it('keeps the message bytes of an mbox without a trailing blank line', async () => {
    const path = join(dir, 'no-trailing-blank.mbox');
    const m = message('only', 'Only');
    await writeFile(path, Buffer.concat([Buffer.from('From x@y Thu Jan  1 00:00:00 2026\n'), m]));
    const got = await collect(path);
    assert.deepEqual(got, [{ kind: 'mbox', origin: `${path}:1`, bytes: m }]);
  });

  it('skips what the caller leaves unread of an mbox message', async () => {
    const messages = [
      message('one', 'x'.repeat(300_000)),
      message('two', 'Second'),
      message('three', 'Third'),
    ];
    const path = join(dir, 'abandon.mbox');
    await writeFile(path, mboxrd(messages));
    const seen: Array<[string, Buffer | null]> = [];
    for await (const m of readFileSources(path)) {
      if (m.origin.endsWith(':1')) {
        // Read one chunk of the first message, then give up on it.
        const stream = m.open();
        const iterator = stream[Symbol.asyncIterator]();
        await iterator.next();
        stream.destroy();
        seen.push([m.origin, null]);
      } else if (m.origin.endsWith(':2')) {
        seen.push([m.origin, null]); // never opened
      } else {
        seen.push([m.origin, await readAll(m.open())]);
      }
    }
    assert.deepEqual(seen, [
      [`${path}:1`, null],
      [`${path}:2`, null],
      [`${path}:3`, messages[2]],
    ]);
  });

  it('treats an mbox file inside a directory as an mbox', async () => {
    const sub = join(dir, 'folders');
    await mkdir(sub);
    const messages = [message('one', 'One'), message('two', 'Two')];
    await writeFile(join(sub, 'Inbox'), mboxrd(messages));
    const got = await collect(sub);
    assert.deepEqual(got, [
      { kind: 'mbox', origin: `${join(sub, 'Inbox')}:1`, bytes: messages[0] },
      { kind: 'mbox', origin: `${join(sub, 'Inbox')}:2`, bytes: messages[1] },
    ]);
  });

  it('streams a 20 MB mbox message in bounded chunks', async () => {
    const path = join(dir, 'big.mbox');
    const out = createWriteStream(path);
    const expected = createHash('sha256');
    let expectedSize = 0;
    const write = (chunk: Buffer): void => {
      out.write(chunk);
    };
    const body = (chunk: Buffer): void => {
      write(chunk);
      expected.update(chunk);
      expectedSize += chunk.length;
    };
    write(Buffer.from('From big@example.com Thu Jan  1 00:00:00 2026\n'));
    body(
      Buffer.from(
        'Subject: big\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n',
      ),
    );
    const line = Buffer.from(`${'QUJD'.repeat(19)}\n`);
    const block = Buffer.concat(Array.from({ length: 1000 }, () => line));
    while (expectedSize < 20 * 1024 * 1024) body(block);
    // One very long line too, which must be passed through in pieces.
    body(Buffer.concat([Buffer.alloc(3 * 1024 * 1024, 0x41), Buffer.from('\n')]));
    write(Buffer.from('\n'));
    const small = message('after', 'After the big one');
    write(Buffer.from('From small@example.com Thu Jan  1 00:00:00 2026\n'));
    write(small);
    out.end();
    await finished(out);

    const got: Array<{ origin: string; chunks: number; largest: number; size: number; sha: string }> = [];
    for await (const m of readFileSources(path)) {
      const hash = createHash('sha256');
      let chunks = 0;
      let largest = 0;
      let size = 0;
      for await (const chunk of m.open()) {
        const buf = chunk as Buffer;
        chunks += 1;
        largest = Math.max(largest, buf.length);
        size += buf.length;
        hash.update(buf);
      }
      got.push({ origin: m.origin, chunks, largest, size, sha: hash.digest('hex') });
    }
    assert.equal(got.length, 2);
    const [big, after] = got;
    assert.equal(big?.size, expectedSize);
    assert.equal(big?.sha, expected.digest('hex'));
    assert.ok((big?.chunks ?? 0) > 100, `expected many chunks, got ${big?.chunks}`);
    assert.ok((big?.largest ?? Infinity) <= 256 * 1024, `largest chunk ${big?.largest}`);
    assert.equal(after?.origin, `${path}:2`);
    assert.equal(after?.sha, createHash('sha256').update(small).digest('hex'));
  });

  it('reads one message from stdin, replaying the peeked bytes', async () => {
    const bytes = message('stdin', 'x'.repeat(200_000));
    const stdin = new PassThrough();
    // Several writes, so the peek and the rest come from different chunks.
    for (let i = 0; i < bytes.length; i += 10_000) stdin.write(bytes.subarray(i, i + 10_000));
    stdin.end();
    const got = await collect('-', { stdin });
    assert.deepEqual(got, [{ kind: 'stdin', origin: '-', bytes }]);
  });

  it('drops a From_ envelope line in front of a message on stdin', async () => {
    const bytes = message('piped', 'From procmail');
    const stdin = new PassThrough();
    stdin.end(Buffer.concat([Buffer.from('From a@b Thu Jan  1 00:00:00 2026\n'), bytes]));
    const got = await collect('-', { stdin });
    assert.deepEqual(got, [{ kind: 'stdin', origin: '-', bytes }]);
  });

  it('rejects garbage on stdin with NotMailError', async () => {
    const stdin = new PassThrough();
    stdin.end(PNG);
    await assert.rejects(collect('-', { stdin }), (error: unknown) => {
      assert.ok(error instanceof NotMailError);
      assert.equal(error.code, 'not_mail');
      assert.equal(error.origin, '-');
      return true;
    });
  });

  it('rejects a binary file with NotMailError', async () => {
    const path = join(dir, 'image.png');
    await writeFile(path, Buffer.concat([PNG, Buffer.alloc(100_000, 7)]));
    await assert.rejects(collect(path), (error: unknown) => {
      assert.ok(error instanceof NotMailError);
      assert.equal(error.code, 'not_mail');
      assert.equal(error.origin, path);
      return true;
    });
  });

  it('rejects an empty file with NotMailError', async () => {
    const path = join(dir, 'empty.eml');
    await writeFile(path, '');
    await assert.rejects(collect(path), (error: unknown) => {
      assert.ok(error instanceof NotMailError);
      assert.equal(error.origin, path);
      assert.match(error.message, /empty/);
      return true;
    });
  });

  it('reports and skips non-mail files when onNotMail is given', async () => {
    const sub = join(dir, 'mixed');
    await mkdir(sub);
    const good = message('good', 'Good');
    await writeFile(join(sub, 'a.png'), PNG);
    await writeFile(join(sub, 'b.eml'), good);
    await writeFile(join(sub, 'c.eml'), '');
    const skipped: string[] = [];
    const got = await collect(sub, { onNotMail: (error) => skipped.push(error.origin) });
    assert.deepEqual(got, [{ kind: 'eml', origin: join(sub, 'b.eml'), bytes: good }]);
    assert.deepEqual(skipped, [join(sub, 'a.png'), join(sub, 'c.eml')]);
  });

  it('throws ENOENT naming a missing path', async () => {
    const path = join(dir, 'does-not-exist.eml');
    await assert.rejects(collect(path), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal((error as NodeJS.ErrnoException).code, 'ENOENT');
      assert.ok(error.message.includes(path));
      return true;
    });
  });

  it('refuses a second open() of the same message', async () => {
    const path = join(dir, 'twice.eml');
    await writeFile(path, message('twice', 'Twice'));
    const iterator = readFileSources(path);
    const first = await iterator.next();
    const m = first.value as FileMessage;
    await readAll(m.open());
    assert.throws(() => m.open(), /once/);
    await iterator.return(undefined);
  });
});
