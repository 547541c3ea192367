import type { App } from './app.ts';

/**
 * Shows a just-spooled message in spool/incoming. A worker (another thread or process) may
 * already have finished it and moved its view; linking first and reading the state after makes
 * the last writer of the view always the one that saw the final state.
 */
export async function showSpooled(app: App, id: number, sha256: string): Promise<void> {
  try {
    await app.showInSpool(id, sha256, 'queued');
    const message = await app.store.getMessage(id);
    if (
      message &&
      message.state !== 'queued' &&
      message.state !== 'processing' &&
      message.state !== 'deferred'
    ) {
      await app.showInSpool(id, sha256, message.rawPurged ? null : message.state);
    }
  } catch (err) {
    app.log.warn({ message: id, err: (err as Error).message }, 'spool folder view not updated');
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
