import libmime from 'libmime';
import addressparser from 'nodemailer/lib/addressparser';
import { normalizeMessageId } from '../core/message-id.ts';

export interface HeaderSummary {
  messageId: string | null;
  subject: string | null;
  from: string | null;
}

const maxPeek = 64 * 1024;

/**
 * Collects the top of a message as it streams past and reads Message-ID, Subject and From
 * from it, so a queued message is listable before the full parse. Bounded at 64 KiB.
 */
export class HeaderPeek {
  private chunks: Buffer[] = [];
  private length = 0;
  private done = false;

  observe(chunk: Buffer): void {
    if (this.done) return;
    this.chunks.push(chunk.subarray(0, maxPeek - this.length));
    this.length += Math.min(chunk.length, maxPeek - this.length);
    if (this.length >= maxPeek || chunk.includes('\n\n') || chunk.includes('\r\n\r\n')) this.done = true;
  }

  summary(): HeaderSummary {
    return summarizeHeaders(Buffer.concat(this.chunks));
  }
}

/** Reads the three listing fields from the header block at the start of `head`. */
export function summarizeHeaders(head: Buffer): HeaderSummary {
  // Only the header block becomes a string: intake summarizes every mail it takes, and turning
  // whole bodies into text cost more than the rest of the summary.
  const block = head.toString('latin1', 0, headerEnd(head));
  const wanted = new Map<string, string>();
  let current: string | null = null;
  for (const line of block.split('\n')) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // A folded line continues the field above it (RFC 5322 §2.2.3).
      if (current !== null) wanted.set(current, `${wanted.get(current) ?? ''} ${line.trim()}`);
      continue;
    }
    current = null;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if ((name === 'message-id' || name === 'subject' || name === 'from') && !wanted.has(name)) {
      wanted.set(name, line.slice(colon + 1).trim());
      current = name;
    }
  }
  return {
    messageId: normalizeMessageId(wanted.get('message-id')),
    subject: decode(wanted.get('subject')),
    from: senderAddress(decode(wanted.get('from'))),
  };
}

/** Where the header block of `head` ends: its first empty line (LF or CRLF, mixed too), or the end of `head`. */
function headerEnd(head: Buffer): number {
  for (let lf = head.indexOf(10); lf >= 0; lf = head.indexOf(10, lf + 1)) {
    const next = head[lf + 1];
    if (next === 10 || (next === 13 && head[lf + 2] === 10)) return lf;
  }
  return head.length;
}

/**
 * The bare, lower-cased sender address: the same form parse stores later, so the loopback rate
 * window counts queued and processed mail from one sender alike.
 */
function senderAddress(from: string | null): string | null {
  if (from === null) return null;
  // The common `Name <address>` needs no full address parser; anything else gets one.
  const angle = /^[^<>"]*<([^\s<>"(),;:@]+@[^\s<>"(),;:@]+)>\s*$/.exec(from);
  if (angle?.[1]) return angle[1].toLowerCase().slice(0, 320);
  try {
    for (const entry of addressparser(from, { flatten: true }))
      if (entry.address) return entry.address.toLowerCase().slice(0, 320);
  } catch {
    // an unparseable From keeps its text; parse decides later
  }
  return from;
}

function decode(value: string | undefined): string | null {
  if (value === undefined) return null;
  // Plain ASCII with no encoded word reads as it is.
  if (!value.includes('=?') && /^[\x20-\x7e\t]*$/.test(value)) return value.slice(0, 998);
  // Header bytes were read as latin1; 8-bit UTF-8 headers (RFC 6532) are recovered here.
  const raw = Buffer.from(value, 'latin1').toString('utf8');
  try {
    return libmime.decodeWords(raw).slice(0, 998);
  } catch {
    return raw.slice(0, 998);
  }
}
