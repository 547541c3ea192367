import type { SpooledRow } from '../intake/spool-writer.ts';
import type { App } from './app.ts';

/**
 * Shows just-spooled messages in spool/incoming. A worker (another thread or process) may
 * already have finished one and moved its view; showing first and reading the states after makes
 * the last writer of the view always the one that saw the final state.
 */
export async function showSpooled(app: Pick<App, 'showInSpool' | 'store' | 'log'>, rows: readonly SpooledRow[]): Promise<void> {
  try {
    // Side by side: the writes run on the thread pool while this thread goes on.
    for (let i = 0; i < rows.length; i += 64)
      await Promise.all(rows.slice(i, i + 64).map((row) => app.showInSpool(row.id, row.sha256, 'queued', { bytes: row.bytes, fresh: !row.duplicate })));
    const finished = await app.store.finishedAmong(rows.map((row) => row.id));
    for (const row of rows) {
      const message = finished.get(row.id);
      if (message) await app.showInSpool(row.id, row.sha256, message.rawPurged ? null : message.state, { bytes: row.bytes });
    }
  } catch (err) {
    app.log.warn({ messages: rows.map((row) => row.id), err: (err as Error).message }, 'spool folder view not updated');
  }
}

/**
 * Repairs the view after a crash: a message committed to a final state by a process that died
 * before moving its .eml still shows in spool/incoming. Safe while workers run (final states do
 * not change, and show is idempotent). Returns how many were moved.
 */
export async function repairSpoolView(app: App): Promise<number> {
  let moved = 0;
  for (const id of (await app.spoolIncomingIds?.()) ?? []) {
    const message = await app.store.getMessage(id);
    if (
      !message ||
      message.state === 'queued' ||
      message.state === 'processing' ||
      message.state === 'deferred'
    )
      continue;
    await app.showInSpool(id, message.rawSha256, message.rawPurged ? null : message.state);
    moved += 1;
  }
  return moved;
}
