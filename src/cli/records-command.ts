import { recordDetail, recordJson } from '../admin/record-view.ts';
import type { App } from './app.ts';
import { printJson, printable, table } from './format.ts';

/** `records list`: the records mail opened, newest first. */
export async function listRecords(app: App, opts: { json?: boolean; limit?: string }): Promise<void> {
  const rows = await app.store.listRecords(opts.limit ? Number(opts.limit) : 1000);
  if (opts.json) return printJson(rows.map(recordJson));
  process.stdout.write(
    table(
      ['NUMBER', 'STATUS', 'REQUESTER', 'ASSIGNEE', 'TAGS', 'SUBJECT'],
      rows.map((r) => [r.number, r.status, r.requester, r.assignee ?? '', r.tags.join(','), r.subject]),
    ),
  );
}

/** `records show NUMBER`: fields, status and the history of mail and comments. */
export async function showRecord(app: App, number: string, opts: { json?: boolean }): Promise<void> {
  const record = await recordDetail(app.store, number);
  if (!record) throw new Error(`no record ${number}; see \`postroom records list\``);
  if (opts.json) return printJson(record);
  const history = record.entries;
  const lines = [
    `${record.number} (${record.type}): ${record.subject}`,
    `  Status:     ${record.status}`,
    `  Requester:  ${record.requester}`,
    `  Assignee:   ${record.assignee ?? '-'}`,
    `  Tags:       ${record.tags.join(', ') || '-'}`,
    ...Object.entries(record.fields).map(([k, v]) => `  ${`${k}:`.padEnd(12)}${v}`),
    '  History:',
    ...history.map(
      (e) =>
        `    ${e.createdAt} ${e.kind} (message ${e.messageRef}): ${e.text.split('\n')[0]?.slice(0, 100) ?? ''}`,
    ),
  ];
  process.stdout.write(`${lines.map(printable).join('\n')}\n`);
}
