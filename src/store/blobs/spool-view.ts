import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageState } from '../../core/message.ts';

/** Siebel's directories, plus one each for the states Siebel did not have. */
const folderOf: Record<MessageState, string> = {
  queued: 'incoming',
  processing: 'incoming',
  deferred: 'incoming',
  processed: 'processed',
  failed: 'failed',
  loopback: 'loopback',
  skipped: 'skipped',
  rejected: 'rejected',
};
const folders = [...new Set(Object.values(folderOf))];

export interface ShowOptions {
  /** the raw mail, when the caller holds it (intake), so it need not be read back */
  bytes?: Buffer | undefined;
  /** just committed, so shown nowhere yet: no other folder to clear */
  fresh?: boolean;
}

/** Blobs that can appear under another name (FsBlobStore, TieredBlobStore). */
export interface LinkableBlobs {
  /** `bytes`: the blob's bytes when the caller holds them already (saves reading them back). */
  linkTo(sha256: string, target: string, bytes?: Buffer): Promise<void>;
}

/**
 * The raw .eml of each message under spool/<state folder>/<id>.eml: a hard link to its blob file,
 * or a copy of raw mail kept in the database. It is a view for admins: the database row is the truth, and the view is
 * brought in line after each state change.
 */
export class SpoolView {
  private readonly root: string;
  private readonly blobs: LinkableBlobs;

  constructor(dataDir: string, blobs: LinkableBlobs) {
    this.root = join(dataDir, 'spool');
    this.blobs = blobs;
    for (const folder of folders) mkdirSync(join(this.root, folder), { recursive: true });
  }

  /** Shows message `id` in the folder of `state` (or nowhere, when `state` is null: purged). */
  async show(id: number, sha256: string, state: MessageState | null, options: ShowOptions = {}): Promise<void> {
    const wanted = state === null ? null : folderOf[state];
    // Link first, unlink after: a crash in between leaves the mail in two folders (repaired at the
    // next start from spool/incoming), never in none.
    if (wanted !== null) await this.blobs.linkTo(sha256, join(this.root, wanted, `${id}.eml`), options.bytes);
    if (options.fresh) return;
    for (const folder of folders) {
      // Synchronous: one unlink each, mostly of nothing, is cheaper than a trip to the thread pool.
      if (folder !== wanted) unlinkQuietly(join(this.root, folder, `${id}.eml`));
    }
  }

  /** Ids shown in spool/incoming; after a crash some of them may be finished already. */
  async incomingIds(): Promise<number[]> {
    const names = await readdir(join(this.root, 'incoming'));
    return names.flatMap((name) => (/^\d+\.eml$/.test(name) ? [Number(name.slice(0, -4))] : []));
  }

  /** Whether message `id` shows in the folder of `state` and in no other (null: in none). */
  isShown(id: number, state: MessageState | null): boolean {
    const wanted = state === null ? null : folderOf[state];
    return folders.every((folder) => existsSync(join(this.root, folder, `${id}.eml`)) === (folder === wanted));
  }

  /** Every message up to this id is final and shown in its folder (0: none; null: never marked). */
  shownThrough(): number | null {
    try {
      const value = Number(readFileSync(join(this.root, shownThroughFile), 'utf8').trim());
      return Number.isSafeInteger(value) && value > 0 ? value : 0;
    } catch {
      return null; // never marked: a data folder from before the mark existed, or a new one
    }
  }

  markShownThrough(id: number): void {
    const file = join(this.root, shownThroughFile);
    writeFileSync(`${file}.tmp`, `${id}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

/** The view's high-water mark, so a repair after a crash looks only at mail since the last one. */
const shownThroughFile = '.shown-through';

/** What the repair of the view after an unclean stop reads and marks. */
export type SpoolViewState = Pick<SpoolView, 'incomingIds' | 'isShown' | 'shownThrough' | 'markShownThrough'>;

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
