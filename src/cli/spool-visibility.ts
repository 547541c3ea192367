import type { MessageRow } from '../core/message.ts';
import type { SpooledRow } from '../intake/spool-writer.ts';
import type { SpoolViewState } from '../store/blobs/spool-view.ts';
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
 * Repairs the view after an unclean stop. Intake shows mail behind its commit and a worker moves
 * it on after its own, so a process killed in between leaves a message shown in the wrong folder
 * or in none. Looked at: every message since the view was last known whole (spool/.shown-through),
 * and whatever shows in spool/incoming. Safe while workers run: a message shown as waiting is
 * read again afterwards, as in showSpooled. Returns how many were shown anew.
 */
export async function repairSpoolView(app: Pick<App, 'spoolView' | 'store' | 'showInSpool'>): Promise<number> {
  const view = app.spoolView;
  if (!view) return 0;
  const bounds = await app.store.messageIdBounds();
  let repaired = 0;
  const waiting: SpooledRow[] = [];
  const check = async (m: MessageRow): Promise<void> => {
    const state = m.rawPurged ? null : m.state;
    if (view.isShown(m.id, state)) return;
    await app.showInSpool(m.id, m.rawSha256, state);
    repaired += 1;
    if (state === 'queued' || state === 'processing' || state === 'deferred') waiting.push({ id: m.id, sha256: m.rawSha256, duplicate: true });
  };
  for (let after = view.shownThrough(); after < bounds.last; ) {
    const rows = await app.store.listMessages({ afterId: after, limit: 500 });
    for (const m of rows) if (m.id <= bounds.last) await check(m);
    after = rows.at(-1)?.id ?? bounds.last;
  }
  for (const id of await view.incomingIds()) {
    const m = await app.store.getMessage(id);
    if (m) await check(m);
  }
  // Finished meanwhile by a worker, whose own show may have come before ours: show them again.
  const finished = await app.store.finishedAmong(waiting.map((row) => row.id));
  for (const row of waiting) {
    const m = finished.get(row.id);
    if (m) await app.showInSpool(row.id, row.sha256, m.rawPurged ? null : m.state);
  }
  markWhole(view, bounds);
  return repaired;
}

/** Everything below the first message still on its way is final and shown now. */
function markWhole(view: SpoolViewState, bounds: { last: number; firstUnfinished: number | null }): void {
  view.markShownThrough(bounds.firstUnfinished === null ? bounds.last : Math.min(bounds.last, bounds.firstUnfinished - 1));
}

/** At a clean stop, with intake's view writes drained and the workers stopped: saves the next start a look at this run's mail. */
export async function markSpoolViewWhole(app: Pick<App, 'spoolView' | 'store'>): Promise<void> {
  if (app.spoolView) markWhole(app.spoolView, await app.store.messageIdBounds());
}

/**
 * Shows spooled mail in spool/incoming behind intake rather than before its acknowledgement: a
 * source waits for the commit, not for the view, and writing one file per mail cost as much as
 * fetching it. At most `maxRows` rows (with their bytes) wait; past that, intake waits for the
 * view to catch up, so memory stays bounded. A crash loses only view writes, and a message whose
 * write was lost shows again once it is finished.
 */
export class ShowBehind {
  private readonly app: Pick<App, 'showInSpool' | 'store' | 'log'>;
  private readonly maxRows: number;
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(app: Pick<App, 'showInSpool' | 'store' | 'log'>, maxRows = 1000) {
    this.app = app;
    this.maxRows = maxRows;
  }

  async add(rows: readonly SpooledRow[]): Promise<void> {
    this.waiting += rows.length;
    // showSpooled logs its own failures and never rejects, so the chain never breaks.
    this.tail = this.tail.then(async () => {
      await showSpooled(this.app, rows);
      this.waiting -= rows.length;
    });
    if (this.waiting > this.maxRows) await this.tail;
  }

  /** Resolves when every row added so far is shown: before the store closes. */
  drain(): Promise<void> {
    return this.tail;
  }
}
