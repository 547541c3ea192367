import type { MessageState } from '../core/message.ts';
import type { SpoolViewState } from '../store/blobs/spool-view.ts';
import type { Store } from '../store/store.ts';

/**
 * Queues messages again (`messages reprocess`, `POST /api/v1/messages/ID/reprocess`); returns how
 * many were queued. Unknown ids, mail being processed now and mail whose raw bytes were deleted
 * are not.
 */
export async function requeueMessages(
  store: Store,
  spoolView: SpoolViewState | undefined,
  which: { ids: readonly number[] } | { state: MessageState },
  now: number,
): Promise<number> {
  // Requeued mail is on its way again: the view's repair after a crash must look at it anew.
  const first =
    'state' in which
      ? (await store.listMessages({ state: which.state, limit: 1 }))[0]?.id
      : which.ids.length > 0
        ? Math.min(...which.ids)
        : undefined;
  const mark = spoolView?.shownThrough() ?? null;
  if (spoolView && mark !== null && first !== undefined && first <= mark)
    spoolView.markShownThrough(first - 1);
  return store.requeue('state' in which ? { state: which.state } : { ids: which.ids }, now);
}
