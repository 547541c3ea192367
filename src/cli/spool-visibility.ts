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
