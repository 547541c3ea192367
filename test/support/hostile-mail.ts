// A deterministic corpus of hostile and broken mail for the "hostile input" test: truncated and
// unterminated MIME, absurd nesting, huge header lines, NUL bytes, bad charsets and transfer
// encodings, path-traversal attachment names, absurd declared sizes, and plain binary garbage.
// Everything comes from a seeded PRNG, so every run (and every machine) sees the same bytes.

export interface HostileMessage {
  name: string;
  raw: Buffer;
}

/** What the engine is expected to conclude for some of the cases (the rest: processed or failed with a reason). */
export interface HostileExpectation {
  /** the message ends `failed` with this error code (or one of these, where two limits trip at once) */
  errorCode?: string | readonly string[];
  /** the message ends `processed` */
  processed?: boolean;
  /** exact display names of the catalogued attachments, in order */
  filenames?: string[];
  /** at least this many attachments catalogued */
  minAttachments?: number;
}

/** Expectations by case name; cases without an entry only have to end processed or failed with a reason. */
export const hostileExpectations: Readonly<Record<string, HostileExpectation>> = {
  'nested-multipart-50': { errorCode: 'mime_too_deep' },
  'nested-multipart-50-unterminated': { errorCode: 'mime_too_deep' },
  // 1000 levels are also more than limits.parts nodes; mailsplit reads ahead, so either limit may trip first.
  'nested-multipart-1000': { errorCode: ['mime_too_deep', 'too_many_parts'] },
  'nested-multipart-10': { processed: true },
  'nested-rfc822-inline-40': { errorCode: 'mime_too_deep' },
  'header-line-5mb': { errorCode: 'header_too_large' },
  'header-line-5mb-no-spaces': { errorCode: 'header_too_large' },
  'header-folded-5mb': { errorCode: 'header_too_large' },
  'header-in-part-5mb': { errorCode: 'header_too_large' },
  'parts-2000': { errorCode: 'too_many_parts' },
  'parts-600': { errorCode: 'too_many_parts' },
  'attachments-150': { errorCode: 'too_many_attachments' },
  'attachments-101': { errorCode: 'too_many_attachments' },
  'attachments-100': { processed: true, minAttachments: 100 },
  'filename-con-txt-disposition': { processed: true, filenames: ['_CON.txt'] },
  'filename-con-txt-ctype-name': { processed: true, filenames: ['_CON.txt'] },
  'filename-con-txt-rfc2231': { processed: true, filenames: ['_CON.txt'] },
  'filename-con-txt-encoded-word': { processed: true, filenames: ['_CON.txt'] },
  'filename-aux-disposition': { processed: true, filenames: ['_aux'] },
  'filename-etc-passwd-disposition': { processed: true, filenames: ['passwd'] },
  'filename-etc-shadow-disposition': { processed: true, filenames: ['shadow'] },
  'filename-windows-dll-disposition': { processed: true, filenames: ['x.dll'] },
  'good-control-plain': { processed: true },
};

/** Attachment names a naive tool would turn into a path outside its folder, or into a device. */
export const hostileFilenames: readonly { slug: string; name: string }[] = [
  { slug: 'etc-passwd', name: '../../etc/passwd' },
  { slug: 'windows-dll', name: '..\\..\\windows\\system32\\x.dll' },
  { slug: 'etc-shadow', name: '/etc/shadow' },
  { slug: 'con-txt', name: 'CON.txt' },
  { slug: 'aux', name: 'aux' },
  { slug: 'nul-device', name: 'nul.tar.gz' },
  { slug: 'lpt1', name: 'LPT1' },
  { slug: 'dotfile', name: '.bashrc' },
  { slug: 'dots-only', name: '...' },
  { slug: 'ssh-keys', name: '~/.ssh/authorized_keys' },
  { slug: 'drive-path', name: 'C:\\Windows\\win.ini' },
  { slug: 'unc-path', name: '\\\\server\\share\\payload.exe' },
  { slug: 'file-url', name: 'file:///etc/passwd' },
  { slug: 'percent-traversal', name: '%2e%2e%2f%2e%2e%2fetc%2fpasswd' },
  { slug: 'long-300', name: `${'a'.repeat(296)}.txt` },
  { slug: 'long-300-ext', name: `${'b'.repeat(280)}.${'x'.repeat(19)}` },
  { slug: 'trailing-dots', name: 'invoice.pdf. . .' },
  { slug: 'reserved-chars', name: 'a<b>c:d"e|f?g*h.txt' },
  { slug: 'rtl-override', name: 'invoice\u202Efdp.exe' },
  { slug: 'spaces', name: '   ' },
];

const CRLF = '\r\n';

/** mulberry32: small, fast, and the same everywhere. */
class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = Math.floor(this.next() * 4294967296);
      out[i] = v & 0xff;
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = (v >>> 24) & 0xff;
    }
    return out;
  }
  words(n: number): string {
    const vocabulary = [
      'printer',
      'invoice',
      'urgent',
      'broken',
      'login',
      'please',
      'help',
      'order',
      'refund',
      'the',
      'a',
      'is',
    ];
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(vocabulary[this.int(vocabulary.length)] ?? 'x');
    return out.join(' ');
  }
}

type Piece = string | Buffer;

/** Concatenates pieces; strings are UTF-8, Buffers are taken byte for byte. */
function bytes(...pieces: Piece[]): Buffer {
  return Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

/** Standard headers that start every structured case; the first line names the case so every raw is distinct. */
function head(name: string, extra: string[] = [], subject = `hostile ${name}`): string {
  return [
    `X-Hostile-Case: ${name}`,
    `From: Mallory <mallory+${name.replace(/[^a-z0-9-]/gi, '')}@example.com>`,
    'To: support@localhost',
    `Subject: ${subject}`,
    `Message-ID: <${name}@hostile.test>`,
    'Date: Tue, 04 Mar 2025 10:00:00 +0000',
    'MIME-Version: 1.0',
    ...extra,
  ].join(CRLF);
}

function b64(data: Buffer | string, width = 76): string {
  const s = (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += width) lines.push(s.slice(i, i + width));
  return lines.join(CRLF);
}

function encodedWord(text: string): string {
  return `=?utf-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

function rfc2231(text: string): string {
  return `utf-8''${[...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')}`;
}

/** A multipart/mixed message from already-formed parts (each: headers CRLF CRLF body). */
function multipart(
  name: string,
  parts: Piece[],
  options: { boundary?: string; close?: boolean; extra?: string[]; subtype?: string } = {},
): Buffer {
  const boundary = options.boundary ?? `b-${name}`;
  const out: Piece[] = [
    head(name, [
      `Content-Type: multipart/${options.subtype ?? 'mixed'}; boundary="${boundary}"`,
      ...(options.extra ?? []),
    ]),
    CRLF,
    CRLF,
  ];
  out.push('This is a multi-part message in MIME format.', CRLF);
  for (const part of parts) out.push(`--${boundary}`, CRLF, part, CRLF);
  if (options.close !== false) out.push(`--${boundary}--`, CRLF);
  return bytes(...out);
}

function textPart(text: Piece, charset = 'utf-8', cte = '8bit'): Buffer {
  return bytes(
    `Content-Type: text/plain; charset="${charset}"${CRLF}Content-Transfer-Encoding: ${cte}${CRLF}${CRLF}`,
    text,
  );
}

function attachmentPart(headerLines: string[], body: Piece, cte = 'base64'): Buffer {
  return bytes([...headerLines, `Content-Transfer-Encoding: ${cte}`].join(CRLF), CRLF, CRLF, body);
}

function simple(name: string, extra: string[], body: Piece, subject?: string): Buffer {
  return bytes(head(name, extra, subject), CRLF, CRLF, body);
}

/** A well-formed multipart with alternative text/HTML, a quoted-printable part and two base64 attachments. */
function richMessage(name: string, rng: Prng): Buffer {
  const inner = 'alt-inner-boundary';
  const alternative = bytes(
    `Content-Type: multipart/alternative; boundary="${inner}"${CRLF}${CRLF}`,
    `--${inner}${CRLF}`,
    textPart(`${rng.words(60)}${CRLF}`),
    CRLF,
    `--${inner}${CRLF}`,
    `Content-Type: text/html; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}`,
    `<html><body><p style=3D"color:red">${rng.words(40)}</p></body></html>${CRLF}`,
    `--${inner}--${CRLF}`,
  );
  return multipart(name, [
    alternative,
    attachmentPart(
      [
        'Content-Type: application/pdf; name="report.pdf"',
        'Content-Disposition: attachment; filename="report.pdf"',
      ],
      b64(rng.bytes(6000)),
    ),
    attachmentPart(
      ['Content-Type: text/csv; name="data.csv"', 'Content-Disposition: attachment; filename="data.csv"'],
      b64(`a,b,c${CRLF}1,2,3${CRLF}`.repeat(50)),
    ),
    attachmentPart(
      ['Content-Type: text/plain; charset=iso-8859-1'],
      `caf=E9 na=EFve =${CRLF}soft break${CRLF}`,
      'quoted-printable',
    ),
  ]);
}

/** The whole corpus, in a fixed order. At least 200 messages. */
export function hostileCorpus(): HostileMessage[] {
  const rng = new Prng(0x9057_2025);
  const out: HostileMessage[] = [];
  const add = (name: string, raw: Buffer): void => {
    out.push({ name, raw });
  };

  // --- truncated MIME: a valid rich multipart cut at many points --------------------------------
  const base = richMessage('truncated-base', rng);
  const headerEnd = base.indexOf('\r\n\r\n');
  const cuts = new Set<number>([
    1,
    17,
    headerEnd - 1,
    headerEnd + 1,
    headerEnd + 3,
    base.length - 1,
    base.length - 3,
    base.length - 10,
  ]);
  while (cuts.size < 45) cuts.add(1 + rng.int(base.length - 2));
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const name = `truncated-at-${String(cut).padStart(5, '0')}`;
    // Re-render with the case name so the kept prefix differs from every other case.
    const full = richMessage(name, new Prng(cut));
    add(name, full.subarray(0, Math.min(cut, full.length - 1)));
  }

  // --- multipart without closing boundary ------------------------------------------------------
  add(
    'unclosed-simple',
    multipart('unclosed-simple', [textPart('hello, no end in sight')], { close: false }),
  );
  add(
    'unclosed-attachment',
    multipart(
      'unclosed-attachment',
      [
        textPart('see attached'),
        attachmentPart(['Content-Type: application/octet-stream; name="x.bin"'], b64(rng.bytes(3000))),
      ],
      {
        close: false,
      },
    ),
  );
  add(
    'unclosed-nested',
    multipart(
      'unclosed-nested',
      [
        bytes(
          `Content-Type: multipart/alternative; boundary="inner"${CRLF}${CRLF}--inner${CRLF}`,
          textPart('inner text'),
          CRLF,
          '--inner',
          CRLF,
          textPart('second'),
        ),
      ],
      { close: false },
    ),
  );
  add(
    'unclosed-header-only-part',
    bytes(
      head('unclosed-header-only-part', ['Content-Type: multipart/mixed; boundary=zz']),
      CRLF,
      CRLF,
      '--zz',
      CRLF,
      'Content-Type: text/plain',
    ),
  );
  add(
    'unclosed-boundary-no-eol',
    bytes(
      head('unclosed-boundary-no-eol', ['Content-Type: multipart/mixed; boundary=zz']),
      CRLF,
      CRLF,
      '--zz',
      CRLF,
      textPart('x'),
      CRLF,
      '--zz',
    ),
  );
  add(
    'unclosed-close-typo',
    bytes(
      multipart('unclosed-close-typo', [textPart('body')], { close: false }),
      '--b-unclosed-close-typo-',
      CRLF,
    ),
  );
  add(
    'unclosed-only-preamble',
    bytes(
      head('unclosed-only-preamble', ['Content-Type: multipart/mixed; boundary=zz']),
      CRLF,
      CRLF,
      'preamble only, no parts at all',
      CRLF,
    ),
  );
  add(
    'unclosed-epilogue-only',
    bytes(
      head('unclosed-epilogue-only', ['Content-Type: multipart/mixed; boundary=zz']),
      CRLF,
      CRLF,
      '--zz--',
      CRLF,
      'epilogue',
      CRLF,
    ),
  );
  add(
    'unclosed-many-open',
    bytes(
      head('unclosed-many-open', ['Content-Type: multipart/mixed; boundary=zz']),
      CRLF,
      CRLF,
      `--zz${CRLF}`.repeat(50),
    ),
  );
  add(
    'unclosed-rfc822-inside',
    multipart(
      'unclosed-rfc822-inside',
      [
        bytes(
          `Content-Type: message/rfc822${CRLF}Content-Disposition: inline${CRLF}${CRLF}`,
          head('inner', ['Content-Type: multipart/mixed; boundary=q']),
          CRLF,
          CRLF,
          '--q',
          CRLF,
          textPart('inner'),
        ),
      ],
      {
        close: false,
      },
    ),
  );

  // --- boundary missing or wrong ---------------------------------------------------------------
  add(
    'boundary-param-missing',
    bytes(
      head('boundary-param-missing', ['Content-Type: multipart/mixed']),
      CRLF,
      CRLF,
      '--x',
      CRLF,
      textPart('a'),
      CRLF,
      '--x--',
      CRLF,
    ),
  );
  add(
    'boundary-param-empty',
    bytes(
      head('boundary-param-empty', ['Content-Type: multipart/mixed; boundary=""']),
      CRLF,
      CRLF,
      '--',
      CRLF,
      textPart('a'),
      CRLF,
      '----',
      CRLF,
    ),
  );
  add(
    'boundary-never-used',
    bytes(
      head('boundary-never-used', ['Content-Type: multipart/mixed; boundary="declared"']),
      CRLF,
      CRLF,
      '--other',
      CRLF,
      textPart('a'),
      CRLF,
      '--other--',
      CRLF,
    ),
  );
  add(
    'boundary-too-long',
    multipart('boundary-too-long', [textPart('long boundary')], { boundary: 'L'.repeat(5000) }),
  );
  add('boundary-spaces', multipart('boundary-spaces', [textPart('spaces')], { boundary: '     ' }));
  add(
    'boundary-quote-inside',
    bytes(
      head('boundary-quote-inside', ['Content-Type: multipart/mixed; boundary="a\\"b"']),
      CRLF,
      CRLF,
      '--a"b',
      CRLF,
      textPart('q'),
      CRLF,
      '--a"b--',
      CRLF,
    ),
  );
  add(
    'boundary-alternative-missing',
    bytes(
      head('boundary-alternative-missing', ['Content-Type: multipart/alternative']),
      CRLF,
      CRLF,
      textPart('x'),
    ),
  );
  add(
    'boundary-duplicate-params',
    bytes(
      head('boundary-duplicate-params', ['Content-Type: multipart/mixed; boundary=one; boundary=two']),
      CRLF,
      CRLF,
      '--two',
      CRLF,
      textPart('t'),
      CRLF,
      '--one',
      CRLF,
      textPart('o'),
      CRLF,
      '--one--',
      CRLF,
    ),
  );
  add(
    'boundary-reused-nested',
    multipart('boundary-reused-nested', [
      bytes(
        `Content-Type: multipart/mixed; boundary="b-boundary-reused-nested"${CRLF}${CRLF}--b-boundary-reused-nested${CRLF}`,
        textPart('same boundary inside'),
      ),
    ]),
  );
  add(
    'boundary-prefix-of-other',
    bytes(
      head('boundary-prefix-of-other', ['Content-Type: multipart/mixed; boundary=ab']),
      CRLF,
      CRLF,
      '--abc',
      CRLF,
      textPart('1'),
      CRLF,
      '--ab',
      CRLF,
      textPart('2'),
      CRLF,
      '--ab--',
      CRLF,
    ),
  );
  add(
    'multipart-empty-body',
    bytes(head('multipart-empty-body', ['Content-Type: multipart/mixed; boundary=e']), CRLF, CRLF),
  );
  add(
    'content-type-garbage',
    simple('content-type-garbage', ['Content-Type: ;;;==;"";/;boundary=;charset'], 'body'),
  );
  add(
    'content-type-no-subtype',
    simple('content-type-no-subtype', ['Content-Type: multipart'], '--x\r\nbody\r\n--x--\r\n'),
  );

  // --- deep nesting ----------------------------------------------------------------------------
  const nested = (name: string, depth: number, close: boolean): Buffer => {
    let inner: Buffer = textPart(`deepest part of ${name}`);
    for (let level = depth; level >= 1; level--) {
      const boundary = `lvl${level}`;
      inner = bytes(
        `Content-Type: multipart/mixed; boundary="${boundary}"${CRLF}${CRLF}--${boundary}${CRLF}`,
        inner,
        CRLF,
        close ? `--${boundary}--${CRLF}` : '',
      );
    }
    return bytes(head(name), CRLF, inner);
  };
  add('nested-multipart-50', nested('nested-multipart-50', 50, true));
  add('nested-multipart-50-unterminated', nested('nested-multipart-50-unterminated', 50, false));
  add('nested-multipart-1000', nested('nested-multipart-1000', 1000, true));
  add('nested-multipart-10', nested('nested-multipart-10', 10, true));
  const nestedRfc822 = (name: string, depth: number, disposition: string): Buffer => {
    let inner: Buffer = bytes(head(`${name}-innermost`), CRLF, CRLF, 'innermost body', CRLF);
    for (let level = depth; level >= 1; level--) {
      inner = bytes(
        `Subject: level ${level}${CRLF}Content-Type: message/rfc822${CRLF}${disposition ? `Content-Disposition: ${disposition}${CRLF}` : ''}${CRLF}`,
        inner,
      );
    }
    return bytes(
      head(name, [
        'Content-Type: message/rfc822',
        ...(disposition ? [`Content-Disposition: ${disposition}`] : []),
      ]),
      CRLF,
      CRLF,
      inner,
    );
  };
  add('nested-rfc822-inline-40', nestedRfc822('nested-rfc822-inline-40', 40, 'inline'));
  add('nested-rfc822-attached-40', nestedRfc822('nested-rfc822-attached-40', 40, ''));
  add('nested-rfc822-inline-5', nestedRfc822('nested-rfc822-inline-5', 5, 'inline'));

  // --- huge headers ------------------------------------------------------------------------------
  const fiveMb = 5 * 1024 * 1024;
  add(
    'header-line-5mb',
    simple('header-line-5mb', [], `body after a huge subject${CRLF}`, `${'spam '.repeat(fiveMb / 5)}`),
  );
  add(
    'header-line-5mb-no-spaces',
    simple('header-line-5mb-no-spaces', [`X-Junk: ${'A'.repeat(fiveMb)}`], 'body'),
  );
  add(
    'header-folded-5mb',
    simple(
      'header-folded-5mb',
      [`X-Folded: start${`${CRLF}\tcontinued line of folding`.repeat(fiveMb / 28)}`],
      'body',
    ),
  );
  add(
    'header-in-part-5mb',
    multipart('header-in-part-5mb', [
      bytes(`Content-Type: text/plain${CRLF}X-Part-Junk: ${'P'.repeat(fiveMb)}${CRLF}${CRLF}part body`),
    ]),
  );
  add(
    'header-line-900kb',
    simple('header-line-900kb', [`X-Big: ${'B'.repeat(900 * 1024)}`], 'a big but allowed header'),
  );
  add(
    'header-many-fields',
    simple(
      'header-many-fields',
      Array.from({ length: 3000 }, (_, i) => `X-Field-${i}: value ${i}`),
      'body',
    ),
  );
  add(
    'header-10000-recipients',
    simple(
      'header-10000-recipients',
      [`Cc: ${Array.from({ length: 10000 }, (_, i) => `u${i}@example.com`).join(', ')}`],
      'many recipients',
    ),
  );
  add(
    'header-references-40000',
    simple(
      'header-references-40000',
      [`References: ${Array.from({ length: 40000 }, (_, i) => `<r${i}@x>`).join(' ')}`],
      'a very long thread',
    ),
  );
  add(
    'header-in-reply-to-sql',
    simple(
      'header-in-reply-to-sql',
      ['In-Reply-To: <\'); DROP TABLE messages; --@x> <"x"@y>'],
      'sql-ish ids',
    ),
  );
  add(
    'header-message-id-10kb',
    bytes(
      `X-Hostile-Case: header-message-id-10kb${CRLF}Message-ID: <${'m'.repeat(10000)}@x>${CRLF}From: a@b.c${CRLF}Subject: long id${CRLF}${CRLF}body`,
    ),
  );

  // --- NUL bytes ---------------------------------------------------------------------------------
  const nul = Buffer.from([0]);
  add('nul-in-subject', bytes(head('nul-in-subject', [], 'before'), nul, 'after', CRLF, CRLF, 'body'));
  add(
    'nul-in-header-name',
    bytes(head('nul-in-header-name'), CRLF, 'X-Na', nul, 'me: v', CRLF, CRLF, 'body'),
  );
  add(
    'nul-in-from',
    bytes(
      `X-Hostile-Case: nul-in-from${CRLF}From: ev`,
      nul,
      `il@example.com${CRLF}Subject: nul from${CRLF}${CRLF}body`,
    ),
  );
  add(
    'nul-in-body',
    simple(
      'nul-in-body',
      ['Content-Type: text/plain; charset=utf-8'],
      bytes('text', nul, 'more', nul, nul, 'end'),
    ),
  );
  add('nul-filled-body', simple('nul-filled-body', [], Buffer.alloc(100_000)));
  add(
    'nul-in-boundary',
    bytes(
      head('nul-in-boundary', ['Content-Type: multipart/mixed; boundary="a\u0000b"']),
      CRLF,
      CRLF,
      '--a',
      nul,
      'b',
      CRLF,
      textPart('x'),
      CRLF,
      '--a',
      nul,
      'b--',
      CRLF,
    ),
  );
  add(
    'nul-in-base64',
    multipart('nul-in-base64', [
      attachmentPart(
        ['Content-Type: application/octet-stream; name="n.bin"'],
        bytes('SGVs', nul, 'bG8=', nul),
      ),
    ]),
  );
  add(
    'nul-in-content-type',
    simple('nul-in-content-type', ['Content-Type: text/pl\u0000ain; charset=utf-8'], 'x'),
  );
  add('nul-at-start', bytes(nul, nul, head('nul-at-start'), CRLF, CRLF, 'body'));
  add('nul-header-line', bytes(head('nul-header-line'), CRLF, Buffer.alloc(500), CRLF, CRLF, 'body'));
  add(
    'nul-in-html',
    multipart('nul-in-html', [
      bytes(`Content-Type: text/html${CRLF}${CRLF}<p>`, nul, `</p><script>alert(1)</script>`),
    ]),
  );
  add('nul-in-encoded-word', simple('nul-in-encoded-word', [], 'x', '=?utf-8?Q?a=00b?= =?utf-8?B?YQBi?='));
  add(
    'nul-in-message-ids',
    bytes(
      `X-Hostile-Case: nul-in-message-ids${CRLF}From: a@example.com${CRLF}Subject: ids${CRLF}Message-ID: <m`,
      nul,
      `id@x>${CRLF}In-Reply-To: <r`,
      nul,
      `r@x>${CRLF}References: <a@x> <b`,
      nul,
      `b@x>${CRLF}${CRLF}body`,
    ),
  );

  // --- charsets ----------------------------------------------------------------------------------
  const latin = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0xfe, 0x80]);
  const charsetCases: [string, string, Piece][] = [
    ['charset-x-nope', 'x-nope', latin],
    ['charset-utf-7-script', 'utf-7', '+ADw-script+AD4-alert(1)+ADw-/script+AD4-'],
    ['charset-utf7-alias', 'UNICODE-1-1-UTF-7', '+ADw-b+AD4-bold'],
    ['charset-empty', '', latin],
    ['charset-traversal', '../../etc/passwd', 'x'],
    ['charset-500-chars', 'c'.repeat(500), 'x'],
    ['charset-utf-16-odd', 'utf-16', Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x42])],
    ['charset-utf-32', 'utf-32', Buffer.from([0x00, 0x00, 0xfe, 0xff, 0x00, 0x11, 0x00, 0x00])],
    ['charset-base64-as-charset', 'base64', 'SGVsbG8='],
    ['charset-hex-as-charset', 'hex', '414243'],
    ['charset-gb18030-invalid', 'gb18030', Buffer.from([0x81, 0x30, 0x81, 0xff, 0xfe, 0x81])],
    ['charset-shift-jis-truncated', 'shift_jis', Buffer.from([0x82, 0xa0, 0x82])],
    [
      'charset-iso-2022-jp-broken',
      'iso-2022-jp',
      Buffer.from([0x1b, 0x24, 0x42, 0x30, 0x1b, 0x28, 0x1b, 0x24, 0x29, 0x43, 0x0e, 0xff, 0x1b]),
    ],
    [
      'charset-iso-2022-jp-unterminated',
      'iso-2022-jp',
      Buffer.from([0x1b, 0x24, 0x42, 0x24, 0x22, 0x24, 0x24, 0x24]),
    ],
    [
      'charset-utf8-invalid',
      'utf-8',
      Buffer.from([
        0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80,
        0x80, 0x80, 0xc0, 0xaf,
      ]),
    ],
    [
      'charset-utf8-overlong-slash',
      'utf-8',
      Buffer.from([0x2e, 0x2e, 0xc0, 0xaf, 0x2e, 0x2e, 0xc0, 0xaf, 0x65, 0x74, 0x63]),
    ],
    ['charset-ks-c-5601', 'ks_c_5601-1987', Buffer.from([0xb0, 0xa1, 0xff])],
    ['charset-ebcdic', 'ibm037', Buffer.from([0xc8, 0x85, 0x93, 0x93, 0x96])],
  ];
  for (const [name, charset, body] of charsetCases)
    add(
      name,
      simple(
        name,
        [`Content-Type: text/plain; charset="${charset}"`, 'Content-Transfer-Encoding: 8bit'],
        body,
      ),
    );
  add(
    'charset-mismatch-html-meta',
    simple(
      'charset-mismatch-html-meta',
      ['Content-Type: text/html; charset=utf-8'],
      bytes('<meta charset="x-nope"><p>', latin, '</p>'),
    ),
  );
  add(
    'charset-8bit-in-headers',
    bytes(
      `X-Hostile-Case: charset-8bit-in-headers${CRLF}From: `,
      latin,
      ` <a@b.c>${CRLF}Subject: `,
      Buffer.from([0xc3, 0x28, 0xff]),
      CRLF,
      CRLF,
      'body',
    ),
  );
  add(
    'charset-encoded-word-x-nope',
    simple('charset-encoded-word-x-nope', [], 'x', '=?x-nope?B?SGVsbG8=?= =?utf-7?Q?+ADw-x+AD4-?='),
  );
  add(
    'charset-multipart-mixed-bad',
    multipart(
      'charset-multipart-mixed-bad',
      charsetCases.slice(0, 8).map(([, charset, body]) => textPart(body, charset)),
    ),
  );

  // --- broken transfer encodings ----------------------------------------------------------------
  const cteCases: [string, string, Piece][] = [
    ['base64-invalid-chars', 'base64', '!!!!@@@@####$$$$%%%%^^^^&&&&****'],
    ['base64-odd-length', 'base64', 'SGVsbG8gV29ybGQ'],
    ['base64-padding-middle', 'base64', 'SGVs====bG8gV29y===bGQ='],
    ['base64-binary-bytes', 'base64', rng.bytes(2048)],
    ['base64-one-1mb-line', 'base64', rng.bytes(768 * 1024).toString('base64')],
    ['qp-invalid-escape', 'quoted-printable', 'a=ZZb=G1c=\r\n=0'],
    ['qp-trailing-equals', 'quoted-printable', 'ends with equals='],
    ['qp-nul-escape', 'quoted-printable', 'x=00y=00=FF=FE'],
    ['qp-long-soft-breaks', 'quoted-printable', `${'=\r\n'.repeat(20000)}end`],
    ['cte-unknown', 'x-gzip64', 'H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA=='],
    ['cte-uuencode-garbage', 'x-uuencode', 'begin 644 ../../etc/passwd\r\nM9V%R8F%G90\r\n`\r\nend'],
    ['cte-with-params', 'base64; foo=bar', 'SGVsbG8='],
    ['cte-binary-random', 'binary', rng.bytes(4096)],
    ['cte-8bit-random', '8bit', rng.bytes(4096)],
    ['cte-empty', '', 'plain'],
  ];
  for (const [name, cte, body] of cteCases) {
    add(
      name,
      multipart(name, [
        textPart('see attachment'),
        attachmentPart(
          [
            'Content-Type: application/octet-stream',
            `Content-Disposition: attachment; filename="${name}.bin"`,
          ],
          body,
          cte,
        ),
      ]),
    );
  }
  add(
    'base64-text-body-broken',
    simple(
      'base64-text-body-broken',
      ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64'],
      '////\u0000****SGV',
    ),
  );
  add(
    'qp-html-body-broken',
    simple(
      'qp-html-body-broken',
      ['Content-Type: text/html', 'Content-Transfer-Encoding: quoted-printable'],
      '<p>=3Cscript=3Ealert(1)=3C/script=3E =XX</p>',
    ),
  );
  add(
    'uuencode-in-plain-body',
    simple(
      'uuencode-in-plain-body',
      [],
      `begin 600 ../../../../tmp/evil.sh${CRLF}M(R$O8FEN+W-H"F5C:&\\@:&%C:V5D"@\`\`${CRLF}\`${CRLF}end${CRLF}`,
    ),
  );

  // --- malformed encoded words --------------------------------------------------------------------
  const encodedWordCases: [string, string][] = [
    ['ew-bad-base64', '=?utf-8?B?not base64!!?='],
    ['ew-bad-q', '=?utf-8?Q?=ZZ=?='],
    ['ew-unknown-encoding', '=?utf-8?X?foo?='],
    ['ew-unterminated', '=?utf-8?B?SGVsbG8'],
    ['ew-empty-everything', '=?==?= =??B??= =???='],
    ['ew-crlf-injection', '=?utf-8?Q?hello=0D=0ABcc:_evil@example.com?='],
    ['ew-5000-words', Array.from({ length: 5000 }, () => '=?utf-8?B?w6k=?=').join(' ')],
    ['ew-split-multibyte', '=?utf-8?B?4o==?= =?utf-8?B?gqw=?='],
    ['ew-language-tag', '=?utf-8*en-US?Q?tagged?='],
    ['ew-nested', `=?utf-8?B?${Buffer.from('=?utf-8?B?PT91dGYtOD9CP1BUOTE/?=').toString('base64')}?=`],
    ['ew-rtl-and-controls', encodedWord('\u202Egnp.exe\u0007\u001b[31m red')],
  ];
  for (const [name, subject] of encodedWordCases) add(name, simple(name, [], 'body', subject));
  add(
    'ew-in-from-name',
    bytes(
      `X-Hostile-Case: ew-in-from-name${CRLF}From: =?utf-8?Q?Admin=00=0D=0A?= <=?utf-8?B?YUBi?=@example.com>${CRLF}Subject: x${CRLF}${CRLF}body`,
    ),
  );
  add(
    'rfc2231-bad-percent',
    multipart('rfc2231-bad-percent', [
      attachmentPart(
        ['Content-Type: text/plain', "Content-Disposition: attachment; filename*=utf-8''%ZZ%2%"],
        b64('x'),
      ),
    ]),
  );
  add(
    'rfc2231-unknown-charset',
    multipart('rfc2231-unknown-charset', [
      attachmentPart(
        ['Content-Type: text/plain', "Content-Disposition: attachment; filename*=x-nope'en'%E9t%E9"],
        b64('x'),
      ),
    ]),
  );
  add(
    'rfc2231-continuation-gap',
    multipart('rfc2231-continuation-gap', [
      attachmentPart(
        [
          'Content-Type: text/plain',
          'Content-Disposition: attachment; filename*1="second"; filename*5="sixth"',
        ],
        b64('x'),
      ),
    ]),
  );
  add(
    'rfc2231-1000-continuations',
    multipart('rfc2231-1000-continuations', [
      attachmentPart(
        [
          'Content-Type: text/plain',
          `Content-Disposition: attachment;${Array.from({ length: 1000 }, (_, i) => `${CRLF} filename*${i}="../"`).join(';')}`,
        ],
        b64('x'),
      ),
    ]),
  );

  // --- hostile attachment names ------------------------------------------------------------------
  for (const { slug, name } of hostileFilenames) {
    const quoted = name.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const payload = b64(`payload for ${slug}`);
    add(
      `filename-${slug}-disposition`,
      multipart(`filename-${slug}-disposition`, [
        textPart('attached'),
        attachmentPart(
          ['Content-Type: application/octet-stream', `Content-Disposition: attachment; filename="${quoted}"`],
          payload,
        ),
      ]),
    );
    add(
      `filename-${slug}-ctype-name`,
      multipart(`filename-${slug}-ctype-name`, [
        attachmentPart([`Content-Type: application/octet-stream; name="${quoted}"`], payload),
      ]),
    );
    add(
      `filename-${slug}-rfc2231`,
      multipart(`filename-${slug}-rfc2231`, [
        attachmentPart(
          [
            'Content-Type: application/octet-stream',
            `Content-Disposition: attachment; filename*=${rfc2231(name)}`,
          ],
          payload,
        ),
      ]),
    );
    add(
      `filename-${slug}-encoded-word`,
      multipart(`filename-${slug}-encoded-word`, [
        attachmentPart(
          [
            'Content-Type: application/octet-stream',
            `Content-Disposition: attachment; filename="${encodedWord(name)}"`,
          ],
          payload,
        ),
      ]),
    );
  }
  const rawNameCases: [string, Piece][] = [
    ['filename-nul-inside', bytes('evil', nul, '.txt')],
    ['filename-newline-rfc2231', rfc2231('line\r\nContent-Type: text/html\r\n\r\n<script>.txt')],
    ['filename-percent-rfc2231-traversal', "utf-8''%2e%2e%2f%2e%2e%2fetc%2fpasswd"],
    ['filename-percent-rfc2231-backslash', "utf-8''%2e%2e%5c%2e%2e%5cwindows%5cx.dll"],
    ['filename-newline-encoded-word', '=?utf-8?Q?a=0Ab=0D=0Ac.txt?='],
  ];
  for (const [name, value] of rawNameCases) {
    const param =
      typeof value === 'string' && value.startsWith("utf-8''")
        ? bytes('filename*=', value)
        : bytes('filename="', value, '"');
    const part = bytes(
      'Content-Type: application/octet-stream',
      CRLF,
      'Content-Disposition: attachment; ',
      param,
      CRLF,
      'Content-Transfer-Encoding: base64',
      CRLF,
      CRLF,
      b64('x'),
    );
    add(name, multipart(name, [part]));
  }
  add(
    'content-id-traversal',
    multipart(
      'content-id-traversal',
      [
        bytes('Content-Type: text/html', CRLF, CRLF, '<img src="cid:../../etc/passwd">'),
        attachmentPart(
          ['Content-Type: image/png', 'Content-ID: <../../etc/passwd>', 'Content-Disposition: inline'],
          b64(rng.bytes(100)),
        ),
      ],
      { subtype: 'related' },
    ),
  );

  // --- absurd declared sizes -------------------------------------------------------------------
  add(
    'declared-content-length-5gb',
    simple('declared-content-length-5gb', ['Content-Length: 5000000000'], 'tiny body'),
  );
  add(
    'declared-content-length-negative',
    simple('declared-content-length-negative', ['Content-Length: -1'], 'tiny body'),
  );
  add(
    'declared-content-length-1e400',
    simple('declared-content-length-1e400', ['Content-Length: 1e400'], 'tiny body'),
  );
  add(
    'declared-rfc822-size-absurd',
    multipart('declared-rfc822-size-absurd', [
      bytes(
        'Content-Type: message/rfc822',
        CRLF,
        'Content-Length: 99999999999999',
        CRLF,
        'Content-Disposition: inline; size=5000000000',
        CRLF,
        CRLF,
        head('declared-inner'),
        CRLF,
        CRLF,
        'inner body',
      ),
    ]),
  );
  add(
    'declared-rfc822-attachment-size',
    multipart('declared-rfc822-attachment-size', [
      bytes(
        'Content-Type: message/rfc822; name="fwd.eml"',
        CRLF,
        'Content-Disposition: attachment; filename="fwd.eml"; size=5000000000',
        CRLF,
        CRLF,
        head('declared-inner-2'),
        CRLF,
        CRLF,
        'inner',
      ),
    ]),
  );
  add(
    'declared-message-partial',
    simple(
      'declared-message-partial',
      ['Content-Type: message/partial; id="abc"; number=1; total=999999999'],
      'partial',
    ),
  );
  add(
    'declared-external-body',
    simple(
      'declared-external-body',
      ['Content-Type: message/external-body; access-type=local-file; name="/etc/passwd"'],
      `Content-Type: text/plain${CRLF}${CRLF}`,
    ),
  );

  // --- binary garbage -----------------------------------------------------------------------------
  for (const size of [1, 2, 7, 64, 511, 1024, 4096, 9000, 16_384, 32_768, 65_536, 100_000, 250_000])
    add(`garbage-${size}`, rng.bytes(size));
  add('garbage-1mb', rng.bytes(1024 * 1024));
  add('garbage-2mb', rng.bytes(2 * 1024 * 1024));
  add('garbage-after-headers', bytes(head('garbage-after-headers'), CRLF, CRLF, rng.bytes(20_000)));
  add('garbage-in-headers', bytes(head('garbage-in-headers'), CRLF, rng.bytes(3000), CRLF, CRLF, 'body'));
  add(
    'garbage-multipart-body',
    bytes(
      head('garbage-multipart-body', ['Content-Type: multipart/mixed; boundary=g']),
      CRLF,
      CRLF,
      rng.bytes(30_000),
    ),
  );
  add(
    'garbage-png-header',
    bytes(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), rng.bytes(5000)),
  );
  add('garbage-zip-header', bytes('PK\u0003\u0004', rng.bytes(5000)));
  add('garbage-high-bytes', Buffer.alloc(50_000, 0xff));
  add('garbage-colons', Buffer.from(':'.repeat(10_000)));
  add(
    'garbage-tnef',
    multipart('garbage-tnef', [
      attachmentPart(
        ['Content-Type: application/ms-tnef; name="winmail.dat"'],
        b64(bytes(Buffer.from([0x78, 0x9f, 0x3e, 0x22]), rng.bytes(3000))),
      ),
    ]),
  );

  // --- too many parts and attachments --------------------------------------------------------------
  const tinyParts = (name: string, count: number): Buffer =>
    multipart(
      name,
      Array.from({ length: count }, (_, i) => textPart(`p${i}`)),
      { boundary: 't' },
    );
  add('parts-2000', tinyParts('parts-2000', 2000));
  add('parts-600', tinyParts('parts-600', 600));
  const attachments = (name: string, count: number): Buffer =>
    multipart(
      name,
      Array.from({ length: count }, (_, i) =>
        attachmentPart(
          [
            `Content-Type: application/octet-stream; name="f${i}.bin"`,
            `Content-Disposition: attachment; filename="f${i}.bin"`,
          ],
          b64(`file ${i}`),
        ),
      ),
      { boundary: 'att' },
    );
  add('attachments-150', attachments('attachments-150', 150));
  add('attachments-101', attachments('attachments-101', 101));
  add('attachments-100', attachments('attachments-100', 100));

  // --- header without body, body without headers ------------------------------------------------
  add('headers-only-no-blank', bytes(head('headers-only-no-blank')));
  add('headers-only-crlf', bytes(head('headers-only-crlf'), CRLF));
  add('headers-only-blank', bytes(head('headers-only-blank'), CRLF, CRLF));
  add(
    'headers-only-multipart',
    bytes(head('headers-only-multipart', ['Content-Type: multipart/mixed; boundary=h']), CRLF, CRLF),
  );
  add('headers-single-line-no-eol', Buffer.from('Subject: headers-single-line-no-eol'));
  add(
    'headers-only-base64-attachment',
    bytes(
      head('headers-only-base64-attachment', [
        'Content-Type: application/pdf; name="a.pdf"',
        'Content-Transfer-Encoding: base64',
      ]),
    ),
  );
  add(
    'body-only-leading-blank',
    bytes(CRLF, 'body-only-leading-blank: this line has a colon but came after a blank line', CRLF),
  );
  add(
    'body-only-prose',
    Buffer.from(`body-only-prose: hello, I have no headers at all${CRLF}second line${CRLF}`),
  );
  add(
    'body-only-continuation-first',
    Buffer.from(` body-only-continuation-first${CRLF}\tfolded with nothing to fold${CRLF}${CRLF}text`),
  );
  add('body-only-parts', bytes('--x', CRLF, textPart('body-only-parts'), CRLF, '--x--', CRLF));
  add(
    'body-only-no-colon-lines',
    Buffer.from(`body-only-no-colon-lines${CRLF}just words${CRLF}more words${CRLF}`),
  );
  add('empty-file', Buffer.alloc(0));
  add('only-crlfs', Buffer.from(CRLF.repeat(1000)));
  add('only-spaces', Buffer.from(' '.repeat(5000)));

  // --- line endings and long lines ---------------------------------------------------------------
  const withEol = (name: string, eol: string): Buffer =>
    bytes(
      [
        `X-Hostile-Case: ${name}`,
        'From: a@example.com',
        `Subject: ${name}`,
        'Content-Type: multipart/mixed; boundary=cr',
        '',
        '--cr',
        'Content-Type: text/plain',
        '',
        'line one',
        'line two',
        '--cr',
        'Content-Type: application/octet-stream; name="cr.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        'SGVsbG8=',
        '--cr--',
        '',
      ].join(eol),
    );
  add('eol-cr-only', withEol('eol-cr-only', '\r'));
  add('eol-lf-only', withEol('eol-lf-only', '\n'));
  add('eol-lfcr', withEol('eol-lfcr', '\n\r'));
  add('eol-crcrlf', withEol('eol-crcrlf', '\r\r\n'));
  add(
    'eol-mixed',
    Buffer.from(`X-Hostile-Case: eol-mixed\rFrom: a@b.c\nSubject: mixed\r\n\rbody\nline\r\nline\r`),
  );
  add(
    'eol-cr-only-simple',
    Buffer.from(`X-Hostile-Case: eol-cr-only-simple\rFrom: a@b.c\rSubject: cr\r\rbody\r`),
  );
  add('long-line-body-1mb', simple('long-line-body-1mb', [], 'x'.repeat(1024 * 1024)));
  add(
    'long-line-body-1mb-then-part',
    multipart('long-line-body-1mb-then-part', [
      textPart('y'.repeat(1024 * 1024)),
      attachmentPart(['Content-Type: text/plain; name="after.txt"'], b64('after')),
    ]),
  );
  add(
    'long-line-no-newline-at-all',
    Buffer.from(`X-Hostile-Case: long-line-no-newline-at-all ${'z'.repeat(1200 * 1024)}`),
  );
  add(
    'long-line-html-1mb',
    simple('long-line-html-1mb', ['Content-Type: text/html'], `<p>${'<b>'.repeat(200_000)}deep tags`),
  );

  // --- misc oddities -------------------------------------------------------------------------------
  add(
    'header-no-colon-lines',
    bytes(
      'X-Hostile-Case: header-no-colon-lines',
      CRLF,
      'this header has no colon',
      CRLF,
      ': empty name',
      CRLF,
      'Subject: s',
      CRLF,
      CRLF,
      'body',
    ),
  );
  add('header-date-invalid', simple('header-date-invalid', ['Date: Feb 31 99999 25:61:61 +9999'], 'body'));
  add(
    'header-duplicate-content-type',
    simple(
      'header-duplicate-content-type',
      ['Content-Type: text/plain', 'Content-Type: multipart/mixed; boundary=dup'],
      '--dup\r\nbody\r\n--dup--',
    ),
  );
  add(
    'header-from-5000-addresses',
    simple(
      'header-from-5000-addresses',
      [`Reply-To: ${Array.from({ length: 5000 }, (_, i) => `"n${i}" <r${i}@example.com>`).join(',')}`],
      'body',
    ),
  );
  add(
    'header-address-group-nesting',
    simple(
      'header-address-group-nesting',
      [`To: ${'g:'.repeat(500)}x@example.com${';'.repeat(500)}`],
      'body',
    ),
  );
  add(
    'header-unbalanced-brackets',
    bytes(
      `X-Hostile-Case: header-unbalanced-brackets${CRLF}From: <<<<a@b.c${CRLF}To: "unterminated <x@y>${CRLF}Subject: (((( comment${CRLF}${CRLF}body`,
    ),
  );
  add(
    'html-only-scripty',
    simple(
      'html-only-scripty',
      ['Content-Type: text/html; charset=utf-8'],
      '<script>while(1){}</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>',
    ),
  );
  add(
    'deliverystatus-garbage',
    simple(
      'deliverystatus-garbage',
      ['Content-Type: multipart/report; report-type=delivery-status; boundary=r'],
      `--r${CRLF}Content-Type: message/delivery-status${CRLF}${CRLF}${rng.bytes(500).toString('latin1')}${CRLF}--r--`,
    ),
  );
  add(
    'calendar-garbage',
    simple(
      'calendar-garbage',
      ['Content-Type: text/calendar; method=REQUEST; charset=x-nope'],
      `BEGIN:VCALENDAR${CRLF}${'BEGIN:VEVENT'.repeat(1000)}`,
    ),
  );
  add('smtp-dot-stuffing', simple('smtp-dot-stuffing', [], `..${CRLF}.${CRLF}..leading dots${CRLF}.${CRLF}`));
  add(
    'mbox-from-line-first',
    bytes(
      `From mallory@example.com Tue Mar  4 10:00:00 2025${CRLF}`,
      head('mbox-from-line-first'),
      CRLF,
      CRLF,
      'body',
    ),
  );
  add(
    'good-control-plain',
    simple(
      'good-control-plain',
      ['Content-Type: text/plain; charset=utf-8'],
      'a perfectly normal message inside the corpus',
    ),
  );

  return out;
}

/** The well-formed mail that must still be processed after the hostile corpus. */
export function goodMail(tag: string): Buffer {
  return Buffer.from(
    [
      'From: Alice Example <alice@example.com>',
      'To: support@localhost',
      `Subject: Printer on floor 3 is broken (${tag})`,
      `Message-ID: <good-${tag}@example.com>`,
      'Date: Tue, 04 Mar 2025 11:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello, the printer on floor 3 jams on every page. Thanks, Alice',
      '',
    ].join(CRLF),
  );
}
