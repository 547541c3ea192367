import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import MailComposer from 'nodemailer/lib/mail-composer';
import { encodeWord, quoteString } from 'nodemailer/lib/mime-funcs';
import type { OutgoingMail } from '../core/outbound.ts';

/** What goes over SMTP and into the Sent copy: the very same bytes. */
export interface ComposedMail {
  envelope: { from: string; to: string[] };
  raw: Buffer;
}

export type OpenBlob = (sha256: string) => Readable;

/**
 * The MIME of an outbox row. Everything is taken from the committed row (Message-ID, Date) and
 * the multipart boundaries are derived from the Message-ID, so every try of a row produces the
 * same bytes: a re-send after a crash is a byte-identical copy, not merely a recognisable one.
 * Built into memory once, because the Sent copy needs the bytes again after the send.
 */
export async function composeOutgoing(mail: OutgoingMail, openBlob: OpenBlob): Promise<ComposedMail> {
  const envelope = { from: mail.from.address, to: [...mail.to, ...mail.cc] };
  if (mail.resendOriginal) {
    // A redirect goes to `to` only: the original's own To/Cc are history, not recipients.
    const original = await buffer(openBlob(mail.resendOriginal.sha256));
    return { envelope: { from: mail.from.address, to: [...mail.to] }, raw: resent(mail, original) };
  }
  const original = mail.attachOriginal ? await buffer(openBlob(mail.attachOriginal.sha256)) : null;
  const composer = new MailComposer({
    from: { name: mail.from.name, address: mail.from.address },
    to: mail.to,
    ...(mail.cc.length > 0 ? { cc: mail.cc } : {}),
    subject: mail.subject,
    text: mail.text,
    ...(mail.html === null ? {} : { html: mail.html }),
    messageId: `<${mail.messageId}>`,
    date: new Date(mail.date),
    ...(mail.inReplyTo ? { inReplyTo: `<${mail.inReplyTo}>` } : {}),
    ...(mail.references.length > 0 ? { references: mail.references.map((id) => `<${id}>`) } : {}),
    headers: mail.headers,
    attachments:
      original && mail.attachOriginal
        ? [
            {
              filename: mail.attachOriginal.filename,
              content: original,
              contentType: 'message/rfc822',
              contentDisposition: 'attachment',
              // RFC 2046 §5.2.1: message/rfc822 is never base64 or QP; say 8bit when it is.
              contentTransferEncoding: original.some((b) => b > 0x7f) ? '8bit' : '7bit',
            },
          ]
        : [],
    baseBoundary: createHash('sha256').update(mail.messageId).digest('hex').slice(0, 16),
    // CRLF throughout, as SMTP carries it: the Sent copy then holds exactly the bytes sent.
    newline: 'windows',
  });
  return { envelope, raw: await composer.compile().build() };
}

/**
 * A redirect (RFC 5322 §3.6.6): the original bytes unchanged, under a block of Resent-* fields
 * naming us and the new recipients, plus our own X-Postroom-* marks so our loopback check knows
 * the copy if it comes back.
 */
function resent(mail: OutgoingMail, original: Buffer): Buffer {
  const oneLine = (value: string): string => value.replace(/[\r\n]+/g, ' ');
  const lines = [
    `Resent-From: ${formatAddress(mail.from)}`,
    `Resent-To: ${mail.to.join(', ')}`,
    `Resent-Date: ${new Date(mail.date).toUTCString().replace(/GMT/, '+0000')}`,
    `Resent-Message-ID: <${mail.messageId}>`,
    ...Object.entries(mail.headers)
      .filter(([name]) => /^x-postroom-/i.test(name))
      .map(([name, value]) => `${name}: ${oneLine(value)}`),
  ];
  return Buffer.concat([Buffer.from(lines.map((l) => `${oneLine(l)}\r\n`).join(''), 'utf8'), crlf(original)]);
}

/** Bare LF line ends as CRLF: SMTP sends them so anyway, and the Sent copy must match. */
function crlf(bytes: Buffer): Buffer {
  if (!/(^|[^\r])\n/.test(bytes.toString('latin1'))) return bytes;
  // latin1 maps each byte to one code unit and back, so 8-bit content survives unchanged.
  return Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/** As nodemailer writes the From, so the Resent-From of a redirect reads the same. */
function formatAddress(a: { name: string; address: string }): string {
  if (!a.name) return a.address;
  const name = /^[\w ]*$/.test(a.name)
    ? a.name
    : /^[\x20-\x7e]*$/.test(a.name)
      ? quoteString(a.name)
      : encodeWord(a.name, 'Q', 52);
  return `${name} <${a.address}>`;
}
