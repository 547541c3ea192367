import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PostroomError } from '../core/errors.ts';
import type { IntakeSource } from '../core/message.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { Envelope, NewMessage, SpoolResult, Store } from '../store/store.ts';
import { HeaderPeek, summarizeHeaders, type HeaderSummary } from './header-summary.ts';

export interface SpoolTarget {
  /** one row per mailbox: SMTP may address several monitored mailboxes in one transaction */
  mailboxes: readonly string[];
  source: IntakeSource;
  origin: string | null;
  /** A connector's own key (POP3 UIDL, IMAP UIDVALIDITY/UID); default: the raw bytes' hash. */
  dedupeKey?: string;
  /** SMTP: the connecting client, for SPF when identify checks trust */
  envelope?: Envelope;
}

export interface SpoolContext {
  store: Store;
  blobs: BlobStore;
  maxMessageSize: number;
  now: () => number;
  /** called once after each commit with its rows, e.g. to show the raw mail in spool/incoming */
  onSpooled?: (rows: readonly SpooledRow[]) => Promise<void>;
}

/** A committed spool row, with the raw bytes when they were in memory. */
export interface SpooledRow {
  id: number;
  sha256: string;
  duplicate: boolean;
  bytes?: Buffer;
}

export interface SpooledMessage {
  sha256: string;
  size: number;
  /** one per target mailbox, in order */
  rows: (SpoolResult & { mailbox: string })[];
}

/** A fetched group waits in memory for one commit up to this many messages or bytes. */
export const groupLimits = { messages: 500, bytes: 16 * 1024 * 1024 } as const;

/** A whole message in memory, as a batch fetch (IMAP FETCH, POP3 RETR) delivers it. */
export interface BufferedMail {
  bytes: Buffer;
  target: SpoolTarget;
}

/** Raw bytes made durable (a blob file, or bytes to commit with the row), not yet committed. */
interface StoredRaw {
  sha256: string;
  size: number;
  summary: HeaderSummary;
  inline?: Buffer;
}

/**
 * Stores one raw message durably: small mail is committed with its spool row, larger mail is
 * streamed into a fsynced blob file first. Only when this resolves may a connector acknowledge
 * its source (250, exit 0, DELE).
 */
export async function spoolRaw(ctx: SpoolContext, raw: Readable, target: SpoolTarget): Promise<SpooledMessage> {
  const [spooled] = await commit(ctx, [{ raw: await storeRaw(ctx, raw), target }]);
  if (!spooled) throw new Error('spool commit returned nothing');
  return spooled;
}

/**
 * Stores a batch of whole messages with one commit: what makes fetching from a server fast,
 * since the commit's fsync, not the bytes, is what each message used to wait for. Only when this
 * resolves may the connector acknowledge the batch.
 */
export async function spoolBuffered(ctx: SpoolContext, mails: readonly BufferedMail[]): Promise<SpooledMessage[]> {
  const stored: { raw: StoredRaw; target: SpoolTarget }[] = [];
  for (const mail of mails) {
    const raw =
      ctx.blobs.inlineLimit > 0 && mail.bytes.length <= ctx.blobs.inlineLimit ? inlineRaw(ctx, mail.bytes) : await storeRaw(ctx, Readable.from([mail.bytes]));
    stored.push({ raw, target: mail.target });
  }
  return commit(ctx, stored);
}

async function commit(ctx: SpoolContext, stored: readonly { raw: StoredRaw; target: SpoolTarget }[]): Promise<SpooledMessage[]> {
  const rows: NewMessage[] = [];
  for (const { raw, target } of stored) {
    for (const mailbox of target.mailboxes) {
      rows.push({
        mailbox,
        source: target.source,
        origin: target.origin,
        dedupeKey: target.dedupeKey ?? `sha256:${raw.sha256}`,
        rawSha256: raw.sha256,
        rawSize: raw.size,
        messageId: raw.summary.messageId,
        subject: raw.summary.subject,
        from: raw.summary.from,
        receivedAt: ctx.now(),
        envelope: target.envelope ?? null,
        ...(raw.inline ? { inlineRaw: raw.inline } : {}),
      });
    }
  }
  const results = await ctx.store.spoolMany(rows);
  const spooled: SpooledMessage[] = [];
  const shown: SpooledRow[] = [];
  let next = 0;
  for (const { raw, target } of stored) {
    const mine: SpooledMessage['rows'] = [];
    for (const mailbox of target.mailboxes) {
      const result = results[next++];
      if (!result) throw new Error('spool commit returned fewer rows than it was given');
      mine.push({ ...result, mailbox });
      shown.push({ id: result.id, sha256: raw.sha256, duplicate: result.duplicate, ...(raw.inline ? { bytes: raw.inline } : {}) });
    }
    spooled.push({ sha256: raw.sha256, size: raw.size, rows: mine });
  }
  // Duplicates too: the first delivery may have been committed by a process that died before
  // it could show the mail (the sender got no 250 and resent it); showing is idempotent.
  await ctx.onSpooled?.(shown);
  return spooled;
}

/**
 * Reads a message: kept in memory while it fits the blob store's inline limit, else streamed on
 * into a blob file (what it read so far first), so a large mail is never held whole.
 */
async function storeRaw(ctx: SpoolContext, raw: Readable): Promise<StoredRaw> {
  const limit = ctx.blobs.inlineLimit;
  const head: Buffer[] = [];
  let size = 0;
  const chunks = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let spill = false;
  while (limit > 0) {
    const next = await chunks.next();
    if (next.done) return inlineRaw(ctx, Buffer.concat(head, size));
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    size += chunk.length;
    if (size > limit) {
      spill = true;
      break;
    }
  }
  const rest = spill
    ? Readable.from(
        (async function* () {
          yield* head;
          for (;;) {
            const next = await chunks.next();
            if (next.done) return;
            yield next.value;
          }
        })(),
      )
    : raw;
  const peek = new HeaderPeek();
  const blob = await ctx.blobs.put(rest, { maxSize: ctx.maxMessageSize, observe: (chunk) => peek.observe(chunk) });
  return { sha256: blob.sha256, size: blob.size, summary: peek.summary() };
}

function inlineRaw(ctx: SpoolContext, bytes: Buffer): StoredRaw {
  if (bytes.length > ctx.maxMessageSize)
    throw new PostroomError('message_too_large', `message exceeds the limit of ${ctx.maxMessageSize} bytes`);
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    summary: summarizeHeaders(bytes.subarray(0, 64 * 1024)),
    inline: bytes,
  };
}

