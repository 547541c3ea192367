import { Transform, type Readable } from 'node:stream';

/** The first `size` bytes of a stream (fewer if it is shorter); the rest is not read. */
export async function readHead(source: Readable, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of source) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      chunks.push(bytes);
      length += bytes.length;
      if (length >= size) break;
    }
  } finally {
    source.destroy();
  }
  return Buffer.concat(chunks).subarray(0, size);
}

/** Passes a stream through with its first `skip` bytes replaced by `head`. */
export function replaceHead(skip: number, head: Buffer): Transform {
  let left = skip;
  let sent = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!sent) {
        this.push(head);
        sent = true;
      }
      if (left >= chunk.length) {
        left -= chunk.length;
        done();
        return;
      }
      const rest = chunk.subarray(left);
      left = 0;
      done(null, rest);
    },
    flush(done) {
      if (!sent) this.push(head);
      done();
    },
  });
}
