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
  const text = head.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  const fields = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return {
    messageId: normalizeMessageId(fields.get('message-id')),
    subject: decode(fields.get('subject')),
    from: senderAddress(decode(fields.get('from'))),
  };
}

/**
 * The bare, lower-cased sender address: the same form parse stores later, so the loopback rate
 * window counts queued and processed mail from one sender alike.
 */
function senderAddress(from: string | null): string | null {
  if (from === null) return null;
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
  // Header bytes were read as latin1; 8-bit UTF-8 headers (RFC 6532) are recovered here.
  const raw = Buffer.from(value, 'latin1').toString('utf8');
  try {
    return libmime.decodeWords(raw).slice(0, 998);
  } catch {
    return raw.slice(0, 998);
  }
}
