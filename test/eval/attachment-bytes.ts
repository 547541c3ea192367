import { Readable } from 'node:stream';
import { parseMessage } from '../../src/decide/parse/parse-message.ts';
import { MemoryBlobStore } from '../../src/store/blobs/memory-blobs.ts';

/** sha256 → bytes of every attachment the parser stored for this mail. */
export async function attachmentBytes(
  raw: Buffer,
  limits: Parameters<typeof parseMessage>[2],
): Promise<Map<string, Buffer>> {
  const blobs = new MemoryBlobStore();
  const { sha256 } = await blobs.put(Readable.from([raw]));
  const parsed = await parseMessage(blobs, sha256, limits);
  const out = new Map<string, Buffer>();
  for (const a of parsed.attachments) {
    const b = blobs.bytes(a.sha256);
    if (b) out.set(a.sha256, b);
  }
  return out;
}
