import { mkdirSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageState } from '../../core/message.ts';
import type { FsBlobStore } from './fs-blobs.ts';

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

/**
 * The raw .eml of each message under spool/<state folder>/<id>.eml, as hard links to the blob
 * (no second copy). It is a view for admins: the database row is the truth, and the view is
 * brought in line after each state change.
 */
export class SpoolView {
  private readonly root: string;
  private readonly blobs: FsBlobStore;

  constructor(dataDir: string, blobs: FsBlobStore) {
    this.root = join(dataDir, 'spool');
    this.blobs = blobs;
    for (const folder of folders) mkdirSync(join(this.root, folder), { recursive: true });
  }

  /** Shows message `id` in the folder of `state` (or nowhere, when `state` is null: purged). */
  async show(id: number, sha256: string, state: MessageState | null): Promise<void> {
    const wanted = state === null ? null : folderOf[state];
    // Link first, unlink after: a crash in between leaves the mail in two folders (repaired at the
    // next start from spool/incoming), never in none.
    if (wanted !== null) await this.blobs.linkTo(sha256, join(this.root, wanted, `${id}.eml`));
    for (const folder of folders) {
      if (folder !== wanted) await rm(join(this.root, folder, `${id}.eml`), { force: true });
    }
  }

  /** Ids shown in spool/incoming; after a crash some of them may be finished already. */
  async incomingIds(): Promise<number[]> {
    const names = await readdir(join(this.root, 'incoming'));
    return names.flatMap((name) => (/^\d+\.eml$/.test(name) ? [Number(name.slice(0, -4))] : []));
  }
}
