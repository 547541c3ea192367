import type { MessageRow, MessageState } from '../core/message.ts';
import type { SpooledRow } from '../intake/spool-writer.ts';
import type { SpoolViewState } from '../store/blobs/spool-view.ts';
import type { App } from './app.ts';

/**
 * Shows spooled messages in spool/incoming. One a worker has finished already is left to the
 * worker, which shows it in its final folder after its commit (a duplicate delivery of finished
 * mail is shown there again: its first delivery's process may have died before it could). A
 * worker may also finish one while this runs; reading the states again after showing makes the
 * last writer of the view always the one that saw the final state.
 */
export async function showSpooled(app: Pick<App, 'showInSpool' | 'store' | 'log'>, rows: readonly SpooledRow[]): Promise<void> {
  try {
    const done = await app.store.finishedAmong(rows.map((row) => row.id));
    const final = async (row: SpooledRow, message: { state: MessageState; rawPurged: boolean }): Promise<void> =>
      app.showInSpool(row.id, row.sha256, message.rawPurged ? null : message.state, { bytes: row.bytes });
    const waiting: SpooledRow[] = [];
    for (const row of rows) {
      const message = done.get(row.id);
      if (!message) waiting.push(row);
      else if (row.duplicate) await final(row, message);
    }
    // Side by side: the writes run on the thread pool while this thread goes on.
    for (let i = 0; i < waiting.length; i += 64)
      await Promise.all(waiting.slice(i, i + 64).map((row) => app.showInSpool(row.id, row.sha256, 'queued', { bytes: row.bytes, fresh: !row.duplicate })));
    const finished = await app.store.finishedAmong(waiting.map((row) => row.id));
    for (const row of waiting) {
      const message = finished.get(row.id);
      if (message) await final(row, message);
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
  // Never marked: versions before the mark showed mail before acknowledging it, so their view
  // is whole but for what spool/incoming holds; from here on the mark is kept.
  for (let after = view.shownThrough() ?? bounds.last; after < bounds.last; ) {
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
 * Shows spooled mail in spool/incoming a little while after intake committed it, not before its
 * acknowledgement: a source waits for the commit, not for the view, and writing one file per mail
 * cost as much as fetching it. Mail a worker finishes within `delayMs` (most of it) is never
 * written to spool/incoming at all: it goes straight to its final folder. At most `maxRows` rows
 * or `maxBytes` of raw mail wait; past that, intake waits while the oldest are shown, so memory
 * stays bounded. A crash loses only view writes, which the repair at the next start makes up.
 */
export class ShowBehind {
  private readonly app: Pick<App, 'showInSpool' | 'store' | 'log'>;
  private readonly delayMs: number;
  private readonly maxRows: number;
  private readonly maxBytes: number;
  private queue: { row: SpooledRow; due: number }[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private tail: Promise<void> = Promise.resolve();

  constructor(app: Pick<App, 'showInSpool' | 'store' | 'log'>, options: { delayMs?: number; maxRows?: number; maxBytes?: number } = {}) {
    this.app = app;
    this.delayMs = options.delayMs ?? 2000;
    this.maxRows = options.maxRows ?? 2000;
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  }

  async add(rows: readonly SpooledRow[]): Promise<void> {
    const due = Date.now() + this.delayMs;
    for (const row of rows) {
      this.queue.push({ row, due });
      this.bytes += row.bytes?.length ?? 0;
    }
    if (this.queue.length > this.maxRows || this.bytes > this.maxBytes) await this.flush(Number.POSITIVE_INFINITY);
    else this.schedule();
  }

  /** Shows everything added so far, now: before the store closes. */
  drain(): Promise<void> {
    return this.flush(Number.POSITIVE_INFINITY);
  }

  private schedule(): void {
    const first = this.queue[0];
    if (this.timer || !first) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush(Date.now());
    }, Math.max(0, first.due - Date.now()));
    // The engine's other work keeps the process alive; a stopping one drains first.
    this.timer.unref();
  }

  private flush(until: number): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows: SpooledRow[] = [];
    while (this.queue[0] && this.queue[0].due <= until) {
      const next = this.queue.shift();
      if (!next) break;
      rows.push(next.row);
      this.bytes -= next.row.bytes?.length ?? 0;
    }
    // showSpooled logs its own failures and never rejects, so the chain never breaks.
    this.tail = this.tail.then(async () => {
      if (rows.length > 0) await showSpooled(this.app, rows);
    });
    this.schedule();
    return this.tail;
  }
}
