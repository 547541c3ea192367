// Cheap plausibility checks on the first bytes of a would-be message. They work
// on raw bytes because mail may be 8-bit in any charset and must not be decoded
// just to be classified.

const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const COLON = 0x3a;
const FROM_ = Buffer.from('From ', 'latin1');

/** Offset of the first line that is not empty (CRLF or LF), or `head.length` if there is none. */
export function firstContentOffset(head: Buffer): number {
  let i = 0;
  while (i < head.length) {
    if (head[i] === LF) {
      i += 1;
    } else if (head[i] === CR && head[i + 1] === LF) {
      i += 2;
    } else {
      break;
    }
  }
  return i;
}

/** True when `buf` holds the mbox `From ` separator at offset `at`. */
export function startsWithFromLine(buf: Buffer, at = 0): boolean {
  return buf.length - at >= FROM_.length && buf.compare(FROM_, 0, FROM_.length, at, at + FROM_.length) === 0;
}

/** True when the first non-empty line of `head` is an mbox `From ` separator. */
export function isMboxHead(head: Buffer): boolean {
  return startsWithFromLine(head, firstContentOffset(head));
}

/** True when the first non-empty line of `head` is a header field (`Name: value`) or an mbox `From ` line. */
export function looksLikeMail(head: Buffer): boolean {
  const start = firstContentOffset(head);
  if (start >= head.length) return false;
  let end = head.indexOf(LF, start);
  if (end === -1) end = head.length;
  // Binary formats tend to have control bytes early; a header line never does
  // (8-bit bytes are tolerated: raw UTF-8 and legacy charsets do occur).
  for (let i = start; i < end; i++) {
    const b = head[i] ?? 0;
    if (b < 0x20 && b !== TAB && !(b === CR && i === end - 1)) return false;
    if (b === 0x7f) return false;
  }
  if (startsWithFromLine(head, start)) return true;
  let i = start;
  while (i < end) {
    const b = head[i] ?? 0;
    if (b < 0x21 || b > 0x7e || b === COLON) break;
    i += 1;
  }
  return i > start && head[i] === COLON;
}

/**
 * Offset where the RFC 5322 bytes of a single message begin: past leading empty
 * lines and past an mbox `From ` envelope line, which is never part of the message.
 */
export function messageContentOffset(head: Buffer): number {
  const start = firstContentOffset(head);
  if (!startsWithFromLine(head, start)) return start;
  const eol = head.indexOf(LF, start);
  // A From line longer than the peeked head cannot be stripped without reading
  // further; leave it for the parser to complain about rather than guess.
  return eol === -1 ? start : eol + 1;
}
