// A deterministic corpus of typical inbound support mail for the benchmark: multipart/alternative
// text + HTML (quoted-printable, UTF-8), a realistic header block (Received, DKIM, ARC-ish
// authentication results), about a quarter replies that thread onto earlier mail, and ~30% with
// one or two small attachments (5-40 KB, base64). Same seed → byte-identical corpus.
import { createCipheriv, createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

export { seededRandom } from '../support/seeded-random.ts';
import { seededRandom } from '../support/seeded-random.ts';

export interface CorpusOptions {
  count: number;
  seed?: number;
  /** recipient (a configured mailbox) */
  to?: string;
  /** distinguishes corpora generated with the same seed: part of every Message-ID */
  tag?: string;
  /** share of mails with attachments; default 0.3 */
  attachmentShare?: number;
  /** share of mails that reply to an earlier mail of the corpus; default 0.25 */
  replyShare?: number;
}

export interface Corpus {
  mails: Buffer[];
  /** envelope sender of each mail */
  senders: string[];
  to: string;
  totalBytes: number;
  withAttachments: number;
  replies: number;
}

const words = (
  'the a to and of is in it for on that this with my your we you our can not please have be are was ' +
  'order invoice account login password reset error page payment refund delivery shipping package ' +
  'tracking number customer support ticket issue problem help thanks regards update since yesterday ' +
  'morning again still working browser mobile app version screenshot attached below above export report ' +
  'subscription plan upgrade downgrade billing address email phone contact manager team urgent asap ' +
  'week month today tomorrow monday friday could would should maybe already tried restart cache cookies ' +
  'settings profile dashboard timeout server message notification sync calendar file upload download ' +
  'größe café naïve résumé über'
).split(' ');

const firstNames = ['Anna', 'Ben', 'Chloé', 'David', 'Emma', 'Farid', 'Greta', 'Hiro', 'Inès', 'Jonas', 'Karin', 'Lars', 'María', 'Noah', 'Olga', 'Pål'];
const lastNames = ['Schmidt', 'Dubois', 'Rossi', 'Nakamura', 'Jensen', 'García', 'Novak', 'Müller', 'Smith', 'Kowalski', 'Haddad', 'Larsen'];
const domains = ['example.com', 'mail.example.org', 'customer.example.net', 'shop.example', 'corp.example.co.uk', 'gmail.example'];
const topics = [
  'Cannot log in to my account',
  'Invoice {n} is wrong',
  'Refund for order {n}',
  'Package {n} not delivered',
  'Error when exporting the report',
  'Question about my subscription',
  'App crashes on start (version 4.{n})',
  'Password reset mail never arrives',
  'Änderung der Rechnungsadresse',
  'Problème de paiement – commande {n}',
  'Upgrade to the business plan',
  'Sync stopped working since Monday',
];
const attachmentKinds = [
  { type: 'application/pdf', ext: 'pdf', head: '%PDF-1.4\n' },
  { type: 'image/png', ext: 'png', head: '\x89PNG\r\n\x1a\n' },
  { type: 'image/jpeg', ext: 'jpg', head: '\xff\xd8\xff\xe0' },
  { type: 'text/csv', ext: 'csv', head: '' },
  { type: 'text/plain', ext: 'log', head: '' },
] as const;

/** Generates `count` mails; deterministic for a given seed and tag. */
export function generateCorpus(options: CorpusOptions): Corpus {
  const rand = seededRandom(options.seed ?? 42);
  const to = options.to ?? 'support@localhost';
  const tag = options.tag ?? 'bench';
  const attachmentShare = options.attachmentShare ?? 0.3;
  const replyShare = options.replyShare ?? 0.25;
  const int = (min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const sentence = (): string => {
    const n = int(6, 18);
    const out: string[] = [];
    for (let i = 0; i < n; i += 1) out.push(pick(words));
    const s = out.join(' ');
    return `${s[0]?.toUpperCase() ?? ''}${s.slice(1)}${pick(['.', '.', '.', '?', '!'])}`;
  };
  const paragraph = (): string => Array.from({ length: int(2, 4) }, sentence).join(' ');

  const mails: Buffer[] = [];
  const senders: string[] = [];
  const sent: { messageId: string; subject: string; references: string[] }[] = [];
  let totalBytes = 0;
  let withAttachments = 0;
  let replies = 0;
  const start = Date.UTC(2025, 0, 6, 8, 0, 0);

  for (let i = 0; i < options.count; i += 1) {
    const first = pick(firstNames);
    const last = pick(lastNames);
    const domain = pick(domains);
    const address = `${first}.${last}`.normalize('NFD').replace(/[^A-Za-z.]/g, '').toLowerCase() + `@${domain}`;
    const messageId = `${tag}.${i}.${int(100000, 999999)}@${domain}`;
    const date = new Date(start + i * 37_000 + int(0, 30_000));
    const parent = i > 0 && rand() < replyShare ? sent[int(Math.max(0, i - 200), i - 1)] : undefined;
    const subject = parent ? `Re: ${parent.subject.replace(/^Re: /, '')}` : pick(topics).replace('{n}', String(int(10000, 99999)));
    const references = parent ? [...parent.references.slice(-4), parent.messageId] : [];
    if (parent) replies += 1;
    sent.push({ messageId, subject, references });

    const paragraphs = Array.from({ length: int(1, 4) }, paragraph);
    const quoted = parent ? Array.from({ length: int(2, 6) }, () => `> ${sentence()}`) : [];
    const signature = [`${first} ${last}`, `${pick(['Operations', 'Finance', 'IT', 'Sales', 'Logistics'])}, ${domain}`, `+49 30 ${int(1000000, 9999999)}`];
    const text = [`Hello support team,`, '', ...paragraphs.flatMap((p) => [wrap(p, 72), '']), 'Best regards,', ...signature, ...(quoted.length ? ['', `On ${date.toUTCString()} support wrote:`, ...quoted] : [])].join('\r\n');
    const html = [
      '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
      '<style type="text/css">body{font-family:Calibri,Arial,sans-serif;font-size:11pt;color:#1f1f1f}p{margin:0 0 8pt 0}.sig{color:#6b6b6b;font-size:9pt}blockquote{border-left:2px solid #ccc;margin:0;padding-left:8px}</style>',
      '</head><body><div dir="ltr"><p>Hello support team,</p>',
      ...paragraphs.map((p) => `<p style="margin:0 0 8pt 0"><span style="font-family:Calibri,sans-serif">${escapeHtml(p)}</span></p>`),
      '<p>Best regards,</p><table class="sig" cellpadding="0" cellspacing="0" border="0"><tbody>',
      ...signature.map((s) => `<tr><td style="padding:0 4px 0 0;font-size:9pt;color:#6b6b6b">${escapeHtml(s)}</td></tr>`),
      '</tbody></table>',
      ...(quoted.length ? ['<blockquote type="cite">', ...quoted.map((q) => `<div>${escapeHtml(q.slice(2))}</div>`), '</blockquote>'] : []),
      '</div></body></html>',
    ].join('\r\n');

    const attachments: { filename: string; type: string; data: Buffer }[] = [];
    if (rand() < attachmentShare) {
      withAttachments += 1;
      const n = rand() < 0.05 ? 2 : 1;
      for (let k = 0; k < n; k += 1) {
        const kind = pick(attachmentKinds);
        // log-uniform between 5 and 40 KB: many small screenshots and PDFs, a few larger ones
        const size = Math.round(5 * 1024 * Math.exp(rand() * Math.log(8)));
        attachments.push({ filename: `${pick(['screenshot', 'invoice', 'export', 'error', 'scan'])}-${int(1, 999)}.${kind.ext}`, type: kind.type, data: attachmentBytes(rand, kind, size) });
      }
    }

    const received = Array.from({ length: int(1, 3) }, (_, k) =>
      [
        `Received: from mx${k + 1}.${domain} (mx${k + 1}.${domain} [192.0.2.${int(1, 254)}])`,
        `\tby inbound.localhost (Postfix) with ESMTPS id ${hex(rand, 10).toUpperCase()}`,
        `\tfor <${to}>; ${date.toUTCString().replace('GMT', '+0000')}`,
      ].join('\r\n'),
    );
    const dkim = `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${domain}; s=s2024;\r\n\th=from:to:subject:date:message-id:mime-version:content-type;\r\n\tbh=${b64(rand, 32)};\r\n\tb=${foldToken(b64(rand, 256), 72)}`;
    const alternative = `alt_${hex(rand, 16)}`;
    const mixed = `mix_${hex(rand, 16)}`;
    const head = [
      ...received,
      `Authentication-Results: inbound.localhost; dkim=pass header.d=${domain}; spf=pass smtp.mailfrom=${address}; dmarc=pass`,
      dkim,
      `From: ${encodeWord(`${first} ${last}`)} <${address}>`,
      `To: Support <${to}>`,
      `Subject: ${encodeWord(subject)}`,
      `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <${messageId}>`,
      ...(parent ? [`In-Reply-To: <${parent.messageId}>`, `References: ${references.map((r) => `<${r}>`).join('\r\n ')}`] : []),
      'MIME-Version: 1.0',
      `X-Mailer: ${pick(['Microsoft Outlook 16.0', 'Apple Mail (2.3731)', 'Thunderbird 128.4', 'Gmail'])}`,
    ];
    const alternativePart = [
      `--${alternative}`,
      'Content-Type: text/plain; charset="utf-8"',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      encodeQuotedPrintable(text),
      `--${alternative}`,
      'Content-Type: text/html; charset="utf-8"',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      encodeQuotedPrintable(html),
      `--${alternative}--`,
      '',
    ].join('\r\n');
    let body: string;
    if (attachments.length === 0) {
      head.push(`Content-Type: multipart/alternative; boundary="${alternative}"`);
      body = alternativePart;
    } else {
      head.push(`Content-Type: multipart/mixed; boundary="${mixed}"`);
      body = [
        `--${mixed}`,
        `Content-Type: multipart/alternative; boundary="${alternative}"`,
        '',
        alternativePart,
        ...attachments.flatMap((a) => [
          `--${mixed}`,
          `Content-Type: ${a.type}; name="${a.filename}"`,
          `Content-Disposition: attachment; filename="${a.filename}"`,
          'Content-Transfer-Encoding: base64',
          '',
          foldToken(a.data.toString('base64'), 76, '\r\n'),
        ]),
        `--${mixed}--`,
        '',
      ].join('\r\n');
    }
    const mail = Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`, 'utf8');
    mails.push(mail);
    senders.push(address);
    totalBytes += mail.length;
  }
  return { mails, senders, to, totalBytes, withAttachments, replies };
}

function attachmentBytes(rand: () => number, kind: (typeof attachmentKinds)[number], size: number): Buffer {
  if (kind.type.startsWith('text/')) {
    const lines: string[] = [];
    let length = 0;
    while (length < size) {
      const line =
        kind.ext === 'csv'
          ? `${Math.floor(rand() * 1e6)};2025-01-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')};${(rand() * 1000).toFixed(2)};EUR;${hex(rand, 8)}`
          : `2025-01-06T08:${String(Math.floor(rand() * 60)).padStart(2, '0')}:00Z ERROR worker-${Math.floor(rand() * 8)} request ${hex(rand, 12)} failed: timeout after 30000 ms`;
      lines.push(line);
      length += line.length + 2;
    }
    return Buffer.from(lines.join('\r\n').slice(0, size));
  }
  const data = Buffer.alloc(size);
  data.write(kind.head, 'latin1');
  for (let i = kind.head.length; i < size; i += 4) {
    const v = Math.floor(rand() * 4294967296);
    for (let b = 0; b < 4 && i + b < size; b += 1) data[i + b] = (v >>> (b * 8)) & 0xff;
  }
  return data;
}

function hex(rand: () => number, length: number): string {
  let s = '';
  while (s.length < length) s += Math.floor(rand() * 4294967296).toString(16).padStart(8, '0');
  return s.slice(0, length);
}

function b64(rand: () => number, bytes: number): string {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 1) data[i] = Math.floor(rand() * 256);
  return data.toString('base64');
}

function foldToken(token: string, width: number, joiner = '\r\n\t '): string {
  const lines: string[] = [];
  for (let i = 0; i < token.length; i += width) lines.push(token.slice(i, i + width));
  return lines.join(joiner);
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width && line) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\r\n');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** RFC 2047 B-encoding when the text is not plain ASCII. */
function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** Quoted-printable (RFC 2045) of UTF-8 text with CRLF line breaks; soft breaks at 76 columns. */
export function encodeQuotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\r\n')) {
    const bytes = Buffer.from(line, 'utf8');
    let current = '';
    for (let i = 0; i < bytes.length; i += 1) {
      const byte = bytes[i] as number;
      const last = i === bytes.length - 1;
      const plain = (byte >= 33 && byte <= 126 && byte !== 61) || (byte === 32 && !last);
      const token = plain ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
      if (current.length + token.length > 75) {
        out.push(`${current}=`);
        current = '';
      }
      current += token;
    }
    out.push(current);
  }
  return out.join('\r\n');
}

/**
 * Writes one large mail to `file` without holding it in memory: a short text/HTML body and one
 * attachment of `attachmentBytes` pseudo-random (incompressible) bytes, base64 in 76-column lines.
 * Returns the file size.
 */
export async function writeBigMail(file: string, attachmentBytes: number, options: { to?: string; seed?: number } = {}): Promise<number> {
  // AES-CTR over zeros: a fast, seeded, incompressible byte stream.
  const key = createHash('sha256').update(`postroom-bench-${options.seed ?? 7}`).digest().subarray(0, 16);
  const keystream = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const to = options.to ?? 'support@localhost';
  const out = createWriteStream(file);
  let written = 0;
  const write = async (chunk: string | Buffer): Promise<void> => {
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const boundary = 'big_boundary_0123456789';
  await write(
    [
      'From: Big Sender <big.sender@example.com>',
      `To: <${to}>`,
      'Subject: Full database export (large attachment)',
      'Date: Mon, 06 Jan 2025 08:00:00 +0000',
      `Message-ID: <big.${options.seed ?? 7}@example.com>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset="utf-8"',
      '',
      'Hello, the export you asked for is attached.',
      '',
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="export.bin"',
      'Content-Disposition: attachment; filename="export.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      '',
    ].join('\r\n'),
  );
  // 57 raw bytes = one 76-character base64 line; 16384 lines (~1.2 MB encoded) per chunk.
  const lineBytes = 57;
  const chunkLines = 16384;
  const zeros = Buffer.alloc(lineBytes * chunkLines);
  let remaining = attachmentBytes;
  while (remaining > 0) {
    const n = Math.min(zeros.length, remaining);
    const encoded = keystream.update(zeros.subarray(0, n)).toString('base64');
    const lines: string[] = [];
    for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
    await write(`${lines.join('\r\n')}\r\n`);
    remaining -= n;
  }
  keystream.final();
  await write(`--${boundary}--\r\n`);
  out.end();
  await once(out, 'finish');
  return written;
}
