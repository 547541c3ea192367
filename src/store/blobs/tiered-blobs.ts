import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { BlobInfo, BlobStore, PutOptions } from '../blob-store.ts';
import type { Store } from '../store.ts';
import { FsBlobStore } from './fs-blobs.ts';

/**
 * Raw mail up to 256 KiB lives in the database, beside the spool rows that name it; larger mail
 * and attachments are files under blobs/. A fetched batch of ordinary mail then costs one fsync
 * (its transaction) instead of two per message (the file and its folder), which is what lets
 * IMAP and POP3 intake keep pace with the server.
 */
export const INLINE_RAW_LIMIT = 256 * 1024;

type InlineRaws = Pick<Store, 'inlineRaw' | 'deleteInlineRaw'>;

export class TieredBlobStore implements BlobStore {
  readonly inlineLimit = INLINE_RAW_LIMIT;
  private readonly files: FsBlobStore;
  private readonly rows: InlineRaws;

  constructor(files: FsBlobStore, rows: InlineRaws) {
    this.files = files;
    this.rows = rows;
  }

  /** Attachments and large raw mail: a durable file, as before. */
  put(source: Readable, options?: PutOptions): Promise<BlobInfo> {
    return this.files.put(source, options);
  }

  open(sha256: string): Readable {
    if (existsSync(this.files.path(sha256))) return this.files.open(sha256);
    const rows = this.rows;
    return Readable.from(
      (async function* () {
        const bytes = await rows.inlineRaw(sha256);
        if (!bytes) throw Object.assign(new Error(`blob ${sha256} not found`), { code: 'ENOENT' });
        yield bytes;
      })(),
    );
  }

  async exists(sha256: string): Promise<boolean> {
    return (await this.files.exists(sha256)) || (await this.rows.inlineRaw(sha256)) !== null;
  }

  async delete(sha256: string): Promise<void> {
    await this.files.delete(sha256);
    await this.rows.deleteInlineRaw(sha256);
  }

  sweepTemp(olderThanMs: number): Promise<number> {
    return this.files.sweepTemp(olderThanMs);
  }

  /** A file with the blob's bytes at `target`: a hard link to a blob file, or the inline bytes written out. */
  async linkTo(sha256: string, target: string, known?: Buffer): Promise<void> {
    if (existsSync(this.files.path(sha256))) return this.files.linkTo(sha256, target);
    const bytes = known ?? (await this.rows.inlineRaw(sha256));
    if (!bytes) throw Object.assign(new Error(`blob ${sha256} not found`), { code: 'ENOENT' });
    await writeFile(target, bytes);
  }
}

/** The blob store every process of an installation uses: files under dataDir/blobs, small raw mail in `store`. */
export function openBlobs(dataDir: string, store: InlineRaws): TieredBlobStore {
  return new TieredBlobStore(new FsBlobStore(dataDir), store);
}
