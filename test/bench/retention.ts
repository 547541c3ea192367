// Retention sweep rate: raw mail of N final messages deleted by `purgeRawMail` (what `postroom
// start` and `messages purge` run: conditional mark, shared-bytes check, raw delete, spool view
// copy removed), against spooling the same mails into the same kind of store (what intake pays
// per mail). Retention must keep up with intake, so the ratio is sweep / spool.
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { purgeRawMail, RETAINED_STATES } from '../../src/apply/purge-raw.ts';
import { spoolRaw, type SpoolContext } from '../../src/intake/spool-writer.ts';
import { openBlobs } from '../../src/store/blobs/tiered-blobs.ts';
import { SpoolView } from '../../src/store/blobs/spool-view.ts';
import { openStore } from '../../src/store/open-store.ts';
import { tempDir } from '../support/engine.ts';
import type { Corpus } from './corpus.ts';

export interface RetentionFigures {
  mails: number;
  /** mails/s spooled one after the other (spoolRaw, as SMTP and `ingest` do) */
  spool: number;
  /** mails/s whose raw mail the sweep deleted */
  sweep: number;
  /** raw mail still readable after the sweep (0 when it did its job) */
  left: number;
}

export async function measureRetention(corpus: Corpus): Promise<RetentionFigures> {
  const dir = tempDir('postroom-bench-retention-');
  // As `postroom start` opens it: the intake connection (synchronous = FULL).
  const store = await openStore('', dir);
  const blobs = openBlobs(dir, store);
  const view = new SpoolView(dir, blobs);
  try {
    const spool: SpoolContext = { store, blobs, maxMessageSize: 50 << 20, now: Date.now };
    const spoolStart = performance.now();
    const ids: { id: number; sha256: string }[] = [];
    for (const mail of corpus.mails) {
      const stored = await spoolRaw(spool, Readable.from([mail]), { mailboxes: ['support@bench.example'], source: 'file', origin: 'bench' });
      for (const row of stored.rows) ids.push({ id: row.id, sha256: stored.sha256 });
    }
    const spoolSeconds = (performance.now() - spoolStart) / 1000;

    // Finished long ago and shown in spool/processed, as the runner leaves them (not timed).
    const claimed = await store.claim('bench', ids.length, Date.now(), 600_000);
    for (const m of claimed) {
      await store.transaction((tx) =>
        tx.finishMessage(m.id, 'bench', {
          state: 'processed', outcome: 'processed', recordId: null, messageId: null, subject: null, from: null, trace: [], errorCode: null, error: null, now: 1_000,
        }),
      );
      await view.show(m.id, m.rawSha256, 'processed');
    }

    const sweepStart = performance.now();
    const totals = await purgeRawMail(
      { store, blobs, showInSpool: (id, sha256, state) => view.show(id, sha256, state) },
      [{ states: RETAINED_STATES, finishedBefore: Date.now() }],
    );
    const sweepSeconds = (performance.now() - sweepStart) / 1000;
    let left = 0;
    for (const { sha256 } of ids) if (await blobs.exists(sha256)) left += 1;
    return { mails: totals.messages, spool: ids.length / spoolSeconds, sweep: totals.messages / sweepSeconds, left };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
