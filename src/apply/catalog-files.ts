import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DocumentRow } from '../core/document.ts';
import type { MessageRow } from '../core/message.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { Store } from '../store/store.ts';

interface CatalogItem {
  filename: string;
  action: 'skip' | 'catalogue' | 'catalogue-and-link';
}

/** The catalogue plan decide made (src/domain/documents/catalog.ts), as stored with the message. */
interface CatalogPlan {
  attachments: CatalogItem[];
  mail: CatalogItem;
}

type DocumentPlace = Pick<DocumentRow, 'projectId' | 'docType' | 'number'>;

/**
 * Seed 004's catalogue: the files a document's rules keep are written to
 * `<catalogFolder>/<project>/<doc type> <number>/`, after the commit that decided them. Each file
 * goes to a temporary name first and is renamed, and an existing one is left alone, so running
 * this again (a retry, the repair at start) writes nothing twice. `attachments` are the message's
 * attachments in parse order, the order the plan lists them in.
 */
export async function writeCatalogFiles(
  folder: string,
  blobs: BlobStore,
  message: MessageRow,
  plan: unknown,
  attachments: readonly { sha256: string }[],
  document: DocumentPlace,
): Promise<string[]> {
  const catalog = plan as CatalogPlan | null | undefined;
  if (!folder || !catalog?.attachments || !catalog.mail) return [];
  const target = join(folder, safe(document.projectId ?? 'no-project'), safe(`${document.docType} ${document.number}`));
  const wanted: { name: string; sha256: string }[] = [];
  catalog.attachments.forEach((item, i) => {
    const attachment = attachments[i];
    if (item.action !== 'skip' && attachment) wanted.push({ name: `${message.id}-${item.filename}`, sha256: attachment.sha256 });
  });
  if (catalog.mail.action !== 'skip' && !message.rawPurged) wanted.push({ name: `${message.id}.eml`, sha256: message.rawSha256 });
  if (wanted.length === 0) return [];
  mkdirSync(target, { recursive: true });
  const written: string[] = [];
  for (const file of wanted) {
    const path = join(target, safe(file.name));
    if (existsSync(path)) continue;
    // Unique: the repair at start and a worker may write the same file at once.
    const temp = `${path}.${process.pid}.${randomUUID()}.part`;
    try {
      const out = createWriteStream(temp);
      await pipeline(blobs.open(file.sha256), out);
      if (!out.closed) await once(out, 'close');
      renameSync(temp, path);
      written.push(path);
    } finally {
      rmSync(temp, { force: true });
    }
  }
  return written;
}

/**
 * Writes what a crash between a commit and its catalogue files left undone; called at start,
 * like the spool folder repair. Returns how many messages it finished.
 */
export async function finishPendingCatalogue(folder: string, store: Store, blobs: BlobStore): Promise<number> {
  if (!folder) return 0;
  let finished = 0;
  for (const pending of await store.pendingCatalogue(1000)) {
    const message = await store.getMessage(pending.messageRef);
    const document = await store.getDocument(pending.documentId);
    if (message && document) {
      const attachments = (await store.listAttachments(message.id)).sort((a, b) => a.ordinal - b.ordinal);
      await writeCatalogFiles(folder, blobs, message, pending.catalog, attachments, document);
    }
    await store.markCatalogued(pending.messageRef);
    finished += 1;
  }
  return finished;
}

/** One path segment: no separators, no leading dots. */
function safe(name: string): string {
  return name.replace(/[/\\\u0000]/g, '_').replace(/^\.+/, '_').slice(0, 200) || '_';
}
