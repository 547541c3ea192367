import type { Readable } from 'node:stream';
import type { WebhookEndpoint } from '../../config/act-schema.ts';

/** How the body reaches the blob store: only reading is needed here. */
export interface BlobReader {
  open(sha256: string): Readable;
}

interface AttachmentMeta {
  sha256: string;
  size: number;
  content?: string;
  url?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isAttachment(v: unknown): v is AttachmentMeta & Record<string, unknown> {
  return isRecord(v) && typeof v['sha256'] === 'string' && /^[0-9a-f]{64}$/.test(v['sha256']) && typeof v['size'] === 'number';
}

async function readBlob(blobs: BlobReader, sha256: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of blobs.open(sha256)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The bytes to POST for a committed event: its `message.attachments` get `content` (base64) up to
 * the endpoint's inline limit and a `url` from `attachmentLink` above it. Done at send time, not in
 * apply, so the queue row stays small and a changed limit applies to events still waiting.
 */
export async function bodyToSend(
  committed: string,
  messageRef: number | null,
  endpoint: Pick<WebhookEndpoint, 'inlineAttachmentsUpTo' | 'attachmentLink'>,
  blobs: BlobReader,
): Promise<Buffer> {
  const doc: unknown = JSON.parse(committed);
  const message = isRecord(doc) ? doc['message'] : undefined;
  const attachments = isRecord(message) && Array.isArray(message['attachments']) ? message['attachments'] : [];
  let changed = false;
  for (const a of attachments) {
    if (!isAttachment(a)) continue;
    if (a.size <= endpoint.inlineAttachmentsUpTo) {
      a.content = (await readBlob(blobs, a.sha256)).toString('base64');
      changed = true;
    } else if (endpoint.attachmentLink !== '') {
      a.url = endpoint.attachmentLink
        .replaceAll('{sha256}', a.sha256)
        .replaceAll('{messageId}', encodeURIComponent(String(messageRef ?? '')));
      changed = true;
    }
  }
  // Unchanged events go out byte for byte as committed.
  return Buffer.from(changed ? JSON.stringify(doc) : committed, 'utf8');
}
