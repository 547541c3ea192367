import type { DocumentRow } from '../core/document.ts';
import type { App } from './app.ts';
import { printJson, printable, table } from './format.ts';

/** `documents list`: the project documents mail created or joined (seed 004). */
export async function listDocuments(app: App, opts: { json?: boolean; limit?: string }): Promise<void> {
  const rows = await app.store.listDocuments(opts.limit ? Number(opts.limit) : 1000);
  if (opts.json) return printJson(rows.map(documentJson));
  process.stdout.write(
    table(
      ['ID', 'PROJECT', 'DOC TYPE', 'NUMBER', 'TITLE', 'RESPONSIBLE'],
      rows.map((d) => [String(d.id), d.projectId ?? '', d.docType, d.number, d.title, d.responsibleParty ?? '']),
    ),
  );
}

/** `documents show ID`: one document with its route and the mail that went into it. */
export async function showDocument(app: App, idText: string, opts: { json?: boolean }): Promise<void> {
  const id = Number(idText);
  const document = Number.isInteger(id) ? await app.store.getDocument(id) : undefined;
  if (!document) throw new Error(`no document with id ${idText}; see \`postroom documents list\``);
  const route = await app.store.getDocumentRoute(id);
  const messages = await app.store.listDocumentMessages(id);
  if (opts.json) return printJson({ ...documentJson(document), route, messages });
  const lines = [
    `Document ${document.id}: ${document.docType} # ${document.number}${document.projectId ? ` (${document.projectId})` : ''}`,
    `  Title:        ${document.title}`,
    `  Subtype:      ${document.subtype ?? '-'}`,
    `  Source:       ${document.sourceContact ?? '-'}`,
    `  Responsible:  ${document.responsibleParty ?? '-'}`,
    `  Route (current sequence ${document.routeCurrent}):`,
    ...route.map((r) => `    ${r.seq}. ${r.party} (${r.state})`),
    `  Messages: ${messages.map((m) => `${m.messageRef} ${m.kind}`).join(', ')}`,
  ];
  process.stdout.write(`${lines.map(printable).join('\n')}\n`);
}

function documentJson(d: DocumentRow) {
  return {
    id: d.id,
    projectId: d.projectId,
    docType: d.docType,
    number: d.number,
    title: d.title,
    subtype: d.subtype,
    sourceContact: d.sourceContact,
    responsibleParty: d.responsibleParty,
    routeCurrent: d.routeCurrent,
    createdAt: new Date(d.createdAt).toISOString(),
    updatedAt: new Date(d.updatedAt).toISOString(),
  };
}
