import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { link, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PostroomError } from '../../core/errors.ts';

import type { BlobInfo, BlobStore, PutOptions } from '../blob-store.ts';

/**
 * Content-addressed blobs on the filesystem: blobs/ab/cd/<sha256>. Names come only from
 * the hash, so nothing a mail says (a file name, a path) ever reaches the filesystem.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly inlineLimit = 0;
  private readonly tmp: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs');
    this.tmp = join(dataDir, 'tmp');
    mkdirSync(this.root, { recursive: true });
    mkdirSync(this.tmp, { recursive: true });
  }

  /** Streams into a temp file while hashing, fsyncs it, then renames it into place: durable on return. */
  async put(source: Readable, options: PutOptions = {}): Promise<BlobInfo> {
    const hash = createHash('sha256');
    let size = 0;
    const { maxSize, observe } = options;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (maxSize !== undefined && size > maxSize) {
          done(new PostroomError('message_too_large', `message exceeds the limit of ${maxSize} bytes`));
          return;
        }
        hash.update(chunk);
        observe?.(chunk);
        done(null, chunk);
      },
    });
    const temp = join(this.tmp, `${randomUUID()}.part`);
    try {
      await pipeline(source, meter, createWriteStream(temp));
      const sha256 = hash.digest('hex');
      const target = this.path(sha256);
      if (existsSync(target)) {
        await unlink(temp);
      } else {
        await fsync(temp);
        mkdirSync(join(this.root, sha256.slice(0, 2), sha256.slice(2, 4)), { recursive: true });
        await rename(temp, target);
        await fsync(join(this.root, sha256.slice(0, 2), sha256.slice(2, 4)));
      }
      return { sha256, size };
    } catch (err) {
      await rm(temp, { force: true });
      if (err instanceof PostroomError) throw err;
      throw new PostroomError(
        'blob_write_failed',
        `cannot write to ${this.root}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * Removes temp files of writes cut short by a crash (a kill mid-DATA leaves tmp/*.part behind).
   * Only old ones: another process (postroom ingest) may be writing the young ones right now.
   */
  async sweepTemp(olderThanMs: number): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.tmp)) {
      if (!name.endsWith('.part')) continue;
      const file = join(this.tmp, name);
      try {
        if (Date.now() - (await stat(file)).mtimeMs < olderThanMs) continue;
        await rm(file, { force: true });
        removed += 1;
      } catch {
        // finished or removed meanwhile
      }
    }
    return removed;
  }

  path(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new PostroomError('internal', `not a blob id: ${sha256}`);
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  open(sha256: string): Readable {
    return createReadStream(this.path(sha256));
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      await stat(this.path(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.path(sha256), { force: true });
  }

  /** Makes `target` another name of the blob (hard link; a copy across filesystems). */
  async linkTo(sha256: string, target: string): Promise<void> {
    try {
      await link(this.path(sha256), target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      if (code === 'EXDEV' || code === 'EPERM') {
        await pipeline(this.open(sha256), createWriteStream(target));
        return;
      }
      throw err;
    }
  }
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
