// Turns what a user hands `postroom ingest FILE|DIR|-` into a sequence of raw
// messages. Everything is streamed as Buffers: a single message may be hundreds
// of MB and mail may be 8-bit in any charset, so nothing is decoded or held whole.

import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { isMboxHead, looksLikeMail, messageContentOffset, startsWithFromLine } from './header-peek.ts';

export type FileSourceKind = 'eml' | 'maildir' | 'mbox' | 'stdin';

export interface FileMessage {
  kind: FileSourceKind;
  /** where it came from, for logs and error reports: a file path, `path:N` for the Nth mbox message (1-based), or `-` */
  origin: string;
  /** the raw RFC 5322 bytes of one message; called once; the stream must be fully consumed or destroyed by the caller before the iterator advances */
  open(): Readable;
}

export interface ReadFileSourcesOptions {
  /** stream read for target `-`; defaults to process.stdin */
  stdin?: Readable;
  /**
   * When given, sources that are not mail are reported here and skipped instead
   * of ending the whole run with a NotMailError (useful for directories that mix
   * mail with index files, e.g. Thunderbird's `.msf`).
   */
  onNotMail?: (error: NotMailError) => void;
}

export class NotMailError extends Error {
  readonly code = 'not_mail';
  readonly origin: string;

  constructor(origin: string, reason: string) {
    super(`${origin}: not an email message (${reason})`);
    this.name = 'NotMailError';
    this.origin = origin;
  }
}

/** How much of a source is inspected to decide whether it is mail, and which kind. */
export const PEEK_BYTES = 64 * 1024;
const READ_BYTES = 64 * 1024;
/** Size the mbox splitter batches output lines into before pushing them downstream. */
const OUT_BYTES = 64 * 1024;
/** Bytes of a line's start gathered across read boundaries so `From `/`>From ` can be recognised. */
const LINE_HEAD_BYTES = 1024;
const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;

/**
 * Yields the messages found at `target`: '-' (stdin, one message), a file (a single
 * message, or an mbox if it starts with "From "), a Maildir (new/ then cur/, tmp/
 * skipped), or a directory of message files (its regular non-dot files, by name).
 */
export async function* readFileSources(
  target: string,
  opts: ReadFileSourcesOptions = {},
): AsyncGenerator<FileMessage> {
  if (target === '-') {
    yield* readStdin(opts.stdin ?? process.stdin, opts);
    return;
  }
  let info: Stats;
  try {
    info = await stat(target);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw notFound(target);
    throw error;
  }
  if (!info.isDirectory()) {
    // Not only regular files: a FIFO such as `<(zcat box.mbox.gz)` reads fine sequentially.
    yield* readFile(target, 'eml', opts);
  } else if (await isMaildir(target)) {
    yield* readMaildir(target, opts);
  } else {
    for (const path of await listFiles(target)) yield* readFile(path, 'eml', opts);
  }
}

function notFound(path: string): Error {
  return Object.assign(new Error(`no such file or directory: ${path}`), { code: 'ENOENT', path });
}

function errnoCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function reject(error: NotMailError, opts: ReadFileSourcesOptions): void {
  if (opts.onNotMail === undefined) throw error;
  opts.onNotMail(error);
}

function notMailReason(head: Buffer): string {
  return head.length === 0 ? 'empty' : 'does not start with a header line';
}

async function isMaildir(dir: string): Promise<boolean> {
  const isDir = (path: string) =>
    stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
  const [cur, fresh] = await Promise.all([isDir(join(dir, 'cur')), isDir(join(dir, 'new'))]);
  return cur && fresh;
}

/** Regular (or symlinked-to-regular) non-dot files directly in `dir`, sorted by name. */
async function listFiles(dir: string): Promise<string[]> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isFile()) {
      names.push(entry.name);
    } else if (entry.isSymbolicLink()) {
      const target = await stat(join(dir, entry.name)).catch(() => null);
      if (target?.isFile() === true) names.push(entry.name);
    }
  }
  // Code-unit order, not locale order, so runs are reproducible across machines.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((name) => join(dir, name));
}

async function* readMaildir(dir: string, opts: ReadFileSourcesOptions): AsyncGenerator<FileMessage> {
  // new/ before cur/, each listed only when reached: a mail client moving a
  // message from new/ to cur/ meanwhile then shows it again in cur/ instead of
  // it slipping between the two listings.
  for (const sub of ['new', 'cur']) {
    for (const path of await listFiles(join(dir, sub))) yield* readFile(path, 'maildir', opts);
  }
}

async function* readFile(
  path: string,
  kind: 'eml' | 'maildir',
  opts: ReadFileSourcesOptions,
): AsyncGenerator<FileMessage> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    // Maildir delivery renames files as part of the protocol; one gone since
    // listing was moved (and is picked up under its new name) or deleted.
    if (kind === 'maildir' && errnoCode(error) === 'ENOENT') return;
    if (errnoCode(error) === 'ENOENT') throw notFound(path);
    throw error;
  }
  const source = ByteSource.fromFile(handle);
  const slot = new StreamSlot();
  try {
    const head = await source.peek(PEEK_BYTES);
    if (!looksLikeMail(head)) {
      reject(new NotMailError(path, notMailReason(head)), opts);
      return;
    }
    if (kind === 'eml' && isMboxHead(head)) {
      yield* splitMbox(source, path);
      return;
    }
    yield whole(source, slot, head, kind, path);
  } finally {
    slot.release();
    await source.close();
  }
}

async function* readStdin(stream: Readable, opts: ReadFileSourcesOptions): AsyncGenerator<FileMessage> {
  const source = ByteSource.fromStream(stream);
  const slot = new StreamSlot();
  try {
    const head = await source.peek(PEEK_BYTES);
    if (!looksLikeMail(head)) {
      reject(new NotMailError('-', notMailReason(head)), opts);
      return;
    }
    // Always one message; an MDA piping a message in often prefixes a From_ line, which is dropped.
    yield whole(source, slot, head, 'stdin', '-');
  } finally {
    slot.release();
    await source.close();
  }
}

/** The rest of `source` as one message, past a leading From_ line. */
function whole(source: ByteSource, slot: StreamSlot, head: Buffer, kind: FileMessage['kind'], origin: string): FileMessage {
  source.skip(messageContentOffset(head));
  return {
    kind,
    origin,
    open: () =>
      slot.open(() =>
        pullStream(
          () => source.next(),
          () => source.close(),
        ),
      ),
  };
}

/** Hands out a message's stream at most once and tears it down if the caller moved on without finishing it. */
class StreamSlot {
  private stream: Readable | null = null;

  open(create: () => Readable): Readable {
    if (this.stream !== null) throw new Error('FileMessage.open() may only be called once');
    this.stream = create();
    return this.stream;
  }

  release(): void {
    if (this.stream !== null && !this.stream.destroyed) this.stream.destroy();
  }
}

/** A byte stream whose reads are driven by `pull` (null = end), so nothing is read before it is wanted. */
function pullStream(pull: () => Promise<Buffer | null>, onDestroy?: () => Promise<void>): Readable {
  return new Readable({
    highWaterMark: OUT_BYTES,
    read() {
      pull().then(
        (chunk) => {
          this.push(chunk);
        },
        (error: unknown) => {
          this.destroy(toError(error));
        },
      );
    },
    destroy(error, callback) {
      if (onDestroy === undefined) {
        callback(error);
        return;
      }
      onDestroy().then(
        () => callback(error),
        (closeError: unknown) => callback(error ?? toError(closeError)),
      );
    },
  });
}

/** Sequential chunks from a file handle or a stream, with the ability to look at the head first. */
class ByteSource {
  private readonly read: () => Promise<Buffer | null>;
  private readonly release: () => Promise<void>;
  private unread: Buffer[] = [];
  private closing: Promise<void> | null = null;

  private constructor(read: () => Promise<Buffer | null>, release: () => Promise<void>) {
    this.read = read;
    this.release = release;
  }

  static fromFile(handle: FileHandle): ByteSource {
    let ended = false;
    return new ByteSource(
      async () => {
        if (ended) return null;
        const buf = Buffer.allocUnsafe(READ_BYTES);
        // position null: read on from the current offset, which also works for pipes.
        const { bytesRead } = await handle.read(buf, 0, READ_BYTES, null);
        if (bytesRead === 0) {
          ended = true;
          return null;
        }
        // Chunks outlive the read (they are pushed downstream), so a short read
        // from a pipe is copied rather than pinning a mostly-empty buffer.
        return bytesRead < READ_BYTES / 2
          ? Buffer.from(buf.subarray(0, bytesRead))
          : buf.subarray(0, bytesRead);
      },
      () => handle.close(),
    );
  }

  static fromStream(stream: Readable): ByteSource {
    // The iterator is driven by hand so that peeking does not end the stream the
    // way breaking out of a for-await loop would.
    const iterator: AsyncIterator<unknown> = stream[Symbol.asyncIterator]();
    return new ByteSource(
      async () => {
        for (;;) {
          const step = await iterator.next();
          if (step.done === true) return null;
          const chunk = toBuffer(step.value);
          if (chunk.length > 0) return chunk;
        }
      },
      async () => {
        await iterator.return?.();
      },
    );
  }

  /** Up to `limit` bytes from the start, kept to be returned again by `next()`. */
  async peek(limit: number): Promise<Buffer> {
    let size = this.unread.reduce((sum, b) => sum + b.length, 0);
    while (size < limit) {
      const chunk = await this.read();
      if (chunk === null) break;
      this.unread.push(chunk);
      size += chunk.length;
    }
    const all = Buffer.concat(this.unread, size);
    this.unread = size > 0 ? [all] : [];
    return all.subarray(0, limit);
  }

  /** Drops `count` already-peeked bytes. */
  skip(count: number): void {
    let left = count;
    while (left > 0) {
      const first = this.unread[0];
      if (first === undefined) throw new Error('ByteSource.skip past the peeked bytes');
      if (first.length <= left) {
        this.unread.shift();
        left -= first.length;
      } else {
        this.unread[0] = first.subarray(left);
        left = 0;
      }
    }
  }

  /** The next non-empty chunk, or null at the end. */
  async next(): Promise<Buffer | null> {
    const buffered = this.unread.shift();
    return buffered ?? this.read();
  }

  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError('stdin produced a non-byte chunk');
}

interface LinePiece {
  data: Buffer;
  /** the piece begins a line */
  start: boolean;
  /** the piece ends with the line's LF */
  eol: boolean;
}

/**
 * Splits chunks into lines without copying, except that a line longer than a
 * read is handed out in pieces so memory stays bounded whatever the input.
 */
class LineScanner {
  private readonly source: ByteSource;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private atLineStart = true;

  constructor(source: ByteSource) {
    this.source = source;
  }

  async next(): Promise<LinePiece | null> {
    if (this.pos >= this.buf.length && !(await this.fill())) return null;
    const start = this.atLineStart;
    const lf = this.buf.indexOf(LF, this.pos);
    if (lf !== -1) {
      const data = this.buf.subarray(this.pos, lf + 1);
      this.pos = lf + 1;
      this.atLineStart = true;
      return { data, start, eol: true };
    }
    let data = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    if (start && data.length < LINE_HEAD_BYTES) {
      // The line's beginning straddles two reads: gather enough of it (only that
      // much is copied) to tell separators and quoted lines apart.
      const parts = [data];
      let size = data.length;
      while (size < LINE_HEAD_BYTES && (await this.fill())) {
        const want = LINE_HEAD_BYTES - size;
        const nextLf = this.buf.indexOf(LF);
        if (nextLf !== -1 && nextLf < want) {
          parts.push(this.buf.subarray(0, nextLf + 1));
          this.pos = nextLf + 1;
          this.atLineStart = true;
          return { data: Buffer.concat(parts), start, eol: true };
        }
        const take = Math.min(want, this.buf.length);
        parts.push(this.buf.subarray(0, take));
        this.pos = take;
        size += take;
      }
      data = Buffer.concat(parts, size);
    }
    this.atLineStart = false;
    return { data, start, eol: false };
  }

  /** Discards the rest of the current line. */
  async skipLine(): Promise<void> {
    for (;;) {
      if (this.atLineStart) return;
      const piece = await this.next();
      if (piece === null || piece.eol) return;
    }
  }

  private async fill(): Promise<boolean> {
    const chunk = await this.source.next();
    if (chunk === null) return false;
    this.buf = chunk;
    this.pos = 0;
    return true;
  }
}

function isBlankLine(piece: LinePiece): boolean {
  const { data } = piece;
  return piece.start && piece.eol && (data.length === 1 || (data.length === 2 && data[0] === CR));
}

/** mboxrd quoting: a body line matching /^>+From / was written with one extra `>`. */
function isQuotedFrom(data: Buffer): boolean {
  let i = 0;
  while (data[i] === GT) i += 1;
  return i > 0 && startsWithFromLine(data, i);
}

async function* splitMbox(source: ByteSource, path: string): AsyncGenerator<FileMessage> {
  const scanner = new LineScanner(source);
  let first = await scanner.next();
  while (first !== null && isBlankLine(first)) first = await scanner.next();
  // The caller checked the head, so this is the opening From line; an mbox
  // without one holds no messages.
  if (first === null || !first.start || !startsWithFromLine(first.data)) return;
  if (!first.eol) await scanner.skipLine();
  for (let n = 1; ; n++) {
    const message = new MboxMessage(scanner);
    const slot = new StreamSlot();
    try {
      yield {
        kind: 'mbox',
        origin: `${path}:${n}`,
        open: () => slot.open(() => pullStream(() => message.pull())),
      };
    } finally {
      slot.release();
    }
    // Whatever the caller left unread is skipped to reach the next separator.
    await message.drain();
    if (message.atEof) return;
  }
}

/** One message of an mbox, read lazily from the shared scanner up to the next separator. */
class MboxMessage {
  atEof = false;
  private readonly scanner: LineScanner;
  private finished = false;
  /** a blank line whose fate (message content, or part of the next separator) is not yet known */
  private pendingBlank: Buffer | null = null;
  /** serialises pulls so a drain never interleaves with a read still in flight */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(scanner: LineScanner) {
    this.scanner = scanner;
  }

  /** The next batch of the message's bytes, or null at its end. */
  pull(): Promise<Buffer | null> {
    const result = this.queue.then(() => this.collect(true));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async drain(): Promise<void> {
    await this.queue;
    while (!this.finished) await this.collect(false);
  }

  private async collect(keep: boolean): Promise<Buffer | null> {
    if (this.finished) return null;
    const parts: Buffer[] = [];
    let size = 0;
    const emit = (data: Buffer): void => {
      if (keep) parts.push(data);
      size += data.length;
    };
    while (size < OUT_BYTES) {
      const piece = await this.scanner.next();
      if (piece === null) {
        // A final blank line is the separator mbox writers append after every message.
        this.finished = true;
        this.atEof = true;
        break;
      }
      if (!piece.start) {
        emit(piece.data);
        continue;
      }
      if (this.pendingBlank !== null) {
        if (startsWithFromLine(piece.data)) {
          this.finished = true;
          if (!piece.eol) await this.scanner.skipLine();
          break;
        }
        emit(this.pendingBlank);
        this.pendingBlank = null;
      }
      if (isBlankLine(piece)) {
        this.pendingBlank = piece.data;
      } else {
        emit(isQuotedFrom(piece.data) ? piece.data.subarray(1) : piece.data);
      }
    }
    if (size === 0) return null;
    return keep ? Buffer.concat(parts, size) : Buffer.alloc(0);
  }
}
