import type { Readable } from 'node:stream';
import type { IntakeSource } from '../core/message.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { Envelope, SpoolResult, Store } from '../store/store.ts';
import { HeaderPeek } from './header-summary.ts';

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
  /** called after the commit, e.g. to show the raw mail in spool/incoming */
  onSpooled?: (id: number, sha256: string) => Promise<void>;
}

export interface SpooledMessage {
  sha256: string;
  size: number;
  /** one per target mailbox, in order */
  rows: (SpoolResult & { mailbox: string })[];
}

/**
 * Stores one raw message durably: blob bytes fsynced first, then the spool row committed.
 * Only when this resolves may a connector acknowledge its source (250, exit 0, DELE).
 */
export async function spoolRaw(
  ctx: SpoolContext,
  raw: Readable,
  target: SpoolTarget,
): Promise<SpooledMessage> {
  const peek = new HeaderPeek();
  const blob = await ctx.blobs.put(raw, {
    maxSize: ctx.maxMessageSize,
    observe: (chunk) => peek.observe(chunk),
  });
  const summary = peek.summary();
  const rows: SpooledMessage['rows'] = [];
  for (const mailbox of target.mailboxes) {
    const result = await ctx.store.spool({
      mailbox,
      source: target.source,
      origin: target.origin,
      dedupeKey: target.dedupeKey ?? `sha256:${blob.sha256}`,
      rawSha256: blob.sha256,
      rawSize: blob.size,
      messageId: summary.messageId,
      subject: summary.subject,
      from: summary.from,
      receivedAt: ctx.now(),
      envelope: target.envelope ?? null,
    });
    rows.push({ ...result, mailbox });
    // Duplicates too: the first delivery may have been committed by a process that died before
    // it could show the mail (the sender got no 250 and resent it); showing is idempotent.
    await ctx.onSpooled?.(result.id, blob.sha256);
  }
  return { sha256: blob.sha256, size: blob.size, rows };
}
