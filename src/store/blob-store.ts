import type { Readable } from 'node:stream';

export interface BlobInfo {
  sha256: string;
  size: number;
}

export interface PutOptions {
  /** bytes; more than this aborts the write with `message_too_large` */
  maxSize?: number;
  /** sees every chunk as it passes, e.g. to peek at the header block */
  observe?: (chunk: Buffer) => void;
}

/** Content-addressed storage of raw mail and attachments. */
export interface BlobStore {
  /**
   * Raw mail up to this many bytes is committed with its spool row (NewMessage.inlineRaw) instead
   * of being put here first; open/exists/delete still find it. 0: every raw mail is put here.
   */
  readonly inlineLimit: number;
  /** Durable on return: the bytes are on disk (fsynced) under their hash. */
  put(source: Readable, options?: PutOptions): Promise<BlobInfo>;
  open(sha256: string): Readable;
  exists(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
  /** Removes partial writes left by a crash that are older than `olderThanMs`; returns how many. */
  sweepTemp?(olderThanMs: number): Promise<number>;
}
