import { leadingPrefix } from './subject-prefix.ts';
import libmime from 'libmime';
import type { ParsedMessage } from '../../core/plan.ts';
import type { ForwardedOriginal } from '../../core/screening.ts';
import {
  beginForwardedPattern,
  forwardedSeparator,
  isHeaderField,
  originalSeparator,
  readHeaderField,
} from './quote-headers.ts';
import { trimReplyText } from './reply-text.ts';

/*
 * Own code rather than email-forward-parser (Crisp, npm): tried on the four Discourse receiver
 * forwards it lost the sender of the "From: Name [mailto:addr]" style and of the French
 * "Objet/Date/De/À" block, lost the forwarder's note there, and reported the outer subject for
 * a Gmail forward whose inner Subject differs. The shapes below are few and well known.
 */

/**
 * An inline forwarded-message block, with the original sender, date and subject; or, failing
 * that, a forwarded message attached as message/rfc822.
 */
export function findForwarded(
  parsed: ParsedMessage,
  prefixes: readonly string[] = [],
): ForwardedOriginal | null {
  const forwardSubject = isForwardSubject(parsed.subject) || leadingPrefix(parsed.subject, prefixes) !== null;
  return inlineForward(parsed, forwardSubject) ?? attachedForward(parsed, forwardSubject);
}

/**
 * Subject prefixes clients put on a forward, in their languages: Fwd/Fw (English), TR (French),
 * WG (German), RV (Spanish), I (Italian), Doorst (Dutch), Enc/Encam (Portuguese), PD (Polish),
 * VB/VS (Swedish, Norwegian, Danish, Finnish), Пересл (Russian), 转发/轉寄 (Chinese), 転送 (Japanese).
 */
const forwardSubject =
  /^\s*(?:\[[^\]]*\]\s*)?(?:(?:re|aw|sv|antw|ynt|odp|res|r)\s*:\s*)*(?:fwd?|fw|tr|wg|rv|i|doorst|enc|encam|pd|vb|vs|vl|пересл|пересылка|fwd|转发|轉寄|転送)\s*[:：]/iu;

export function isForwardSubject(subject: string): boolean {
  return forwardSubject.test(subject);
}

interface Block {
  /** first line of the forwarded header fields */
  fieldsAt: number;
  /** first line of the block (the separator, or the first field when there is none) */
  startsAt: number;
}

/** A separator or header block that opens the forwarded message, or null. */
function findBlock(lines: string[], subjectIsForward: boolean): Block | null {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    // Gmail, Thunderbird, Yahoo and Apple Mail say "forwarded" in so many words
    if (forwardedSeparator.test(line) || beginForwardedPattern.test(line))
      return { startsAt: i, fieldsAt: i + 1 };
    if (!subjectIsForward) continue;
    // "-----Original Message-----" or Outlook's rule above a header block: a forward when the subject says so
    if (originalSeparator.test(line) || /^[ \t]*_{10,}[ \t]*$/.test(line)) {
      if (headerFieldsFollow(lines, i + 1)) return { startsAt: i, fieldsAt: i + 1 };
      continue;
    }
    // a bare header block (Outlook desktop, Thunderbird inline, webmail)
    if (isHeaderField(stripQuote(line)) && headerFieldsFollow(lines, i)) return { startsAt: i, fieldsAt: i };
  }
  return null;
}

const stripQuote = (line: string): string => line.replace(/^[ \t]*(?:>[ \t]?)+/, '');

/** Three header fields in a row (blank lines before the first allowed), one of them the sender. */
function headerFieldsFollow(lines: string[], from: number): boolean {
  let i = from;
  while (i < lines.length && (lines[i] ?? '').trim() === '') i++;
  let fields = 0;
  let sender = false;
  for (; i < lines.length && fields < 8; i++) {
    const field = readHeaderField(stripQuote(lines[i] ?? ''));
    if (!field) break;
    fields++;
    if (field.kind === 'from') sender = true;
  }
  return fields >= 3 && sender;
}

interface Fields {
  from: string | null;
  date: string | null;
  subject: string | null;
}

/** Reads "Name: value" lines; a line that is no field continues the one above (a wrapped Subject). */
function readFields(lines: string[], at: number): Fields {
  const out: Fields = { from: null, date: null, subject: null };
  let i = at;
  while (i < lines.length && stripQuote(lines[i] ?? '').trim() === '') i++;
  let last: keyof Fields | null = null;
  let seen = 0;
  for (; i < lines.length; i++) {
    const line = stripQuote(lines[i] ?? '');
    if (line.trim() === '') break;
    const field = readHeaderField(line);
    if (!field && /^[ \t]*[A-Za-z][\w-]*:[ \t]/.test(line)) {
      // a field we don't read (Message-Id, Importance): it ends a wrapped value above
      last = null;
      continue;
    }
    if (field) {
      seen++;
      last = field.kind === 'other' ? null : field.kind;
      if (last && out[last] === null) out[last] = field.value;
      else last = null;
    } else if (seen > 0 && last) {
      out[last] = `${out[last] ?? ''} ${line.trim()}`;
    } else if (seen > 0) {
      // a wrapped To or Cc line: keep reading the block
      continue;
    } else break;
  }
  return out;
}

function inlineForward(parsed: ParsedMessage, forwardSubject: boolean): ForwardedOriginal | null {
  const lines = parsed.text.replace(/\r\n?/g, '\n').split('\n');
  const block = findBlock(lines, forwardSubject);
  if (!block) return null;
  const fields = readFields(lines, block.fieldsAt);
  if (fields.from === null && fields.subject === null) return null;
  const above = lines.slice(0, block.startsAt).join('\n');
  return {
    from: fields.from === null ? null : parseSender(fields.from),
    date: fields.date,
    subject: fields.subject,
    note: trimReplyText(above).replyText.trim(),
  };
}

/**
 * "Some One <some@one.com>", "Some One [mailto:some@one.com]", "\"Miguel\" <foo@bar.es>",
 * "Discourse <info@discourse.org<mailto:info@discourse.org>>", "foo@bar.com", "Foo (foo@bar.com)".
 */
export function parseSender(value: string): { address: string; name: string } | null {
  const address = /[^\s<>[\]()"':;,]+@[^\s<>[\]()"':;,]+\.[^\s<>[\]()"':;,]+/.exec(value);
  const name = value
    .replace(/<[^]*$|(?:\[|\()\s*(?:mailto:)?[^\s<>[\]()]+@[^]*$/i, '')
    .replace(/^[\s"'*]+|[\s"'*]+$/g, '')
    .trim();
  if (!address) return name === '' ? null : { address: '', name };
  const addr = address[0]
    .replace(/^mailto:/i, '')
    .replace(/[.>]+$/, '')
    .toLowerCase();
  return { address: addr, name: name.includes('@') && name.toLowerCase() === addr ? '' : name };
}

/** Report parts that make a mail a machine notice: its message/rfc822 is the returned mail, not a forward. */
const noticeParts = /^message\/(?:global-)?(?:delivery-status|disposition-notification|feedback-report)$/;

function attachedForward(parsed: ParsedMessage, forwardSubject: boolean): ForwardedOriginal | null {
  if (parsed.reports.some((r) => noticeParts.test(r.contentType))) return null;
  // Bounces without a DSN part, spam-filter reports and MIME test mail attach messages too; a
  // forward as attachment carries the client's forward prefix (Outlook "FW:", Apple Mail "Fwd:").
  if (!forwardSubject) return null;
  const attached = parsed.reports.find(
    (r) => r.contentType === 'message/rfc822' || r.contentType === 'message/global',
  );
  // mailparser may open an inline message/rfc822 itself; then only its header block is kept
  const source = attached ?? parsed.reports.find((r) => r.contentType === 'text/rfc822-headers');
  if (!source) return null;
  const headers = readHeaderBlock(source.text);
  const from = headers.get('from');
  const subject = headers.get('subject');
  if (from === undefined && subject === undefined) return null;
  return {
    from: from === undefined ? null : parseSender(decodeWords(from)),
    date: headers.get('date') ?? null,
    subject: subject === undefined ? null : decodeWords(subject),
    note: trimReplyText(parsed.text).replyText.trim(),
  };
}

/** The unfolded header fields of a raw message, first occurrence of each name. */
function readHeaderBlock(raw: string): Map<string, string> {
  const head = raw.replace(/\r\n?/g, '\n').split(/\n\n/, 1)[0] ?? '';
  const out = new Map<string, string>();
  for (const field of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(field);
    if (!m) continue;
    const name = (m[1] ?? '').toLowerCase();
    if (!out.has(name)) out.set(name, (m[2] ?? '').trim());
  }
  return out;
}

function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}
