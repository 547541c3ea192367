import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { MessageRow } from '../core/message.ts';
import type { Plan } from '../core/plan.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { DocumentRef } from './apply-plan.ts';

interface CatalogItem {
  filename: string;
  action: 'skip' | 'catalogue' | 'catalogue-and-link';
}
interface CatalogPlan {
  attachments: CatalogItem[];
  mail: CatalogItem;
}

/**
 * Seed 004's catalogue: the files a document's rules keep are written to
 * `<catalogFolder>/<project>/<doc type> <number>/`, after the commit that decided them. Each file
 * goes to a temporary name first and is renamed, and an existing one is left alone, so running
 * this again (a retry) writes nothing twice. Names are the parser's sanitized display names.
 */
export async function writeCatalogFiles(
  folder: string,
  blobs: BlobStore,
  message: MessageRow,
  plan: Plan,
  document: DocumentRef,
): Promise<string[]> {
  const catalog = plan.document?.catalog as CatalogPlan | null | undefined;
  if (!folder || !catalog) return [];
  const target = join(folder, safe(document.projectId ?? 'no-project'), safe(`${document.docType} ${document.number}`));
  const wanted: { name: string; sha256: string }[] = [];
  catalog.attachments.forEach((item, i) => {
    const attachment = plan.attachments[i];
    if (item.action !== 'skip' && attachment) wanted.push({ name: `${message.id}-${item.filename}`, sha256: attachment.sha256 });
  });
  if (catalog.mail.action !== 'skip' && !message.rawPurged) wanted.push({ name: `${message.id}.eml`, sha256: message.rawSha256 });
  if (wanted.length === 0) return [];
  mkdirSync(target, { recursive: true });
  const written: string[] = [];
  for (const file of wanted) {
    const path = join(target, safe(file.name));
    if (existsSync(path)) continue;
    const temp = `${path}.part`;
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

/** One path segment: no separators, no leading dots. */
function safe(name: string): string {
  return name.replace(/[/\\\u0000]/g, '_').replace(/^\.+/, '_').slice(0, 200) || '_';
}
