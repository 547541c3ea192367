import type { MessageState } from '../core/message.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { RetentionQuery, Store } from '../store/store.ts';

export interface PurgeContext {
  store: Pick<Store, 'countRawUsers' | 'purgeCandidates' | 'markPurgedIfFinished'>;
  blobs: Pick<BlobStore, 'delete'>;
  /** takes the message out of the spool folder view (state null) */
  showInSpool?: (id: number, sha256: string, state: null) => Promise<void>;
}

/** `retention` from the config, in seconds; null keeps raw mail forever. */
export interface RetentionSettings {
  rawMail: number | null;
  failedMail: number | null;
}

export interface PurgeTotals {
  /** messages whose raw mail was deleted (or would be, in a dry run) */
  messages: number;
  /** bytes freed: raw mail another kept message shares is not counted (it stays) */
  bytes: number;
}

/**
 * The final states `retention.rawMail` covers. Failed mail has a setting of its own: it is what
 * an admin reprocesses after a fix, so it is kept by default.
 */
export const RETAINED_STATES: readonly MessageState[] = ['processed', 'skipped', 'loopback', 'rejected'];

/** What retention looks for at `now`: one query per setting that is not `forever`. */
export function retentionQueries(retention: RetentionSettings, now: number): RetentionQuery[] {
  const queries: RetentionQuery[] = [];
  if (retention.rawMail !== null) queries.push({ states: RETAINED_STATES, finishedBefore: now - retention.rawMail * 1000 });
  if (retention.failedMail !== null) queries.push({ states: ['failed'], finishedBefore: now - retention.failedMail * 1000 });
  return queries;
}

/**
 * Deletes the raw bytes of a message already marked purged, unless another kept message shares
 * them (the same mail in a second mailbox), and takes it out of the spool view. The row is
 * marked first: a crash after the mark leaves bytes that nothing reads, never a row whose
 * bytes are gone while it says they are there. Returns whether the bytes were deleted.
 */
export async function dropRaw(ctx: PurgeContext, message: { id: number; rawSha256: string }): Promise<boolean> {
  const shared = (await ctx.store.countRawUsers(message.rawSha256, message.id)) > 0;
  if (!shared) await ctx.blobs.delete(message.rawSha256);
  await ctx.showInSpool?.(message.id, message.rawSha256, null);
  return !shared;
}

/**
 * Retention: deletes the raw mail of final messages older than the queries say, in batches,
 * oldest first. The message rows, their traces and records stay; `messages raw` and
 * `messages reprocess` then say the raw mail is gone. A message reprocessed meanwhile is left.
 */
export async function purgeRawMail(
  ctx: PurgeContext,
  queries: readonly RetentionQuery[],
  options: { dryRun?: boolean; batch?: number } = {},
): Promise<PurgeTotals> {
  const totals: PurgeTotals = { messages: 0, bytes: 0 };
  for (const query of queries) {
    let afterId = 0;
    for (;;) {
      const batch = await ctx.store.purgeCandidates({ ...query, limit: options.batch ?? 500, afterId });
      if (batch.length === 0) break;
      for (const message of batch) {
        afterId = message.id;
        if (options.dryRun) {
          totals.messages += 1;
          totals.bytes += message.rawSize;
          continue;
        }
        if (!(await ctx.store.markPurgedIfFinished(message.id, query))) continue;
        totals.messages += 1;
        if (await dropRaw(ctx, message)) totals.bytes += message.rawSize;
      }
    }
  }
  return totals;
}
