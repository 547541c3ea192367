import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PostroomError } from '../../core/errors.ts';
import type { BlobInfo, BlobStore, PutOptions } from '../blob-store.ts';

/** Blobs held in memory: for `postroom decide`, which must not write anything to disk. */
export class MemoryBlobStore implements BlobStore {
  readonly inlineLimit = 0;
  private readonly blobs = new Map<string, Buffer>();

  async put(source: Readable, options: PutOptions = {}): Promise<BlobInfo> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of source) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      size += bytes.length;
      if (options.maxSize !== undefined && size > options.maxSize)
        throw new PostroomError('message_too_large', `message exceeds the limit of ${options.maxSize} bytes`);
      options.observe?.(bytes);
      chunks.push(bytes);
    }
    const data = Buffer.concat(chunks);
    const sha256 = createHash('sha256').update(data).digest('hex');
    this.blobs.set(sha256, data);
    return { sha256, size };
  }

  open(sha256: string): Readable {
    const data = this.blobs.get(sha256);
    if (!data) {
      const missing = new Readable({ read() {} });
      process.nextTick(() =>
        missing.destroy(Object.assign(new Error(`blob ${sha256} not found`), { code: 'ENOENT' })),
      );
      return missing;
    }
    return Readable.from([data]);
  }

  async exists(sha256: string): Promise<boolean> {
    return this.blobs.has(sha256);
  }

  async delete(sha256: string): Promise<void> {
    this.blobs.delete(sha256);
  }

  /** The bytes of a blob, for callers that hold everything in memory anyway. */
  bytes(sha256: string): Buffer | undefined {
    return this.blobs.get(sha256);
  }
}
