import { readFile } from 'node:fs/promises';
import { importDirectory, type ImportReport } from '../domain/directory/import.ts';
import { ImportFileError, parseDirectoryFile } from '../domain/directory/import-rows.ts';
import { addressSettingsFrom } from '../domain/directory/settings.ts';
import { companyJson, directoryListing, partyJson, projectJson } from '../admin/directory-view.ts';
import type { Directory } from '../store/directory.ts';
import type { App } from './app.ts';
import { printable, table } from './format.ts';

/** Where a command writes; tests pass their own to read what an admin would see. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}
const stdio: CommandIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

// Exit codes from sysexits.h, which scripts already know.
const exitDataError = 65;
const exitNoInput = 66;
const exitUsage = 64;

/** What the directory commands use of the app (an App will do). */
export type DirectoryApp = Pick<App, 'config' | 'store'>;

export function directoryOf(app: DirectoryApp): Directory {
  return app.store.directory;
}

const shownChanges = 50;

function printReport(file: string, report: ImportReport, io: CommandIo): void {
  const lines = [
    `${file}: ${report.rows} rows: ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged, ${report.rejectedRows} rejected` +
      (report.dryRun ? ' (dry run: nothing written)' : ''),
  ];
  const verb = report.dryRun ? 'would ' : '';
  for (const c of report.changes.slice(0, shownChanges))
    lines.push(
      `  ${verb}${c.action} ${c.kind} ${c.id} (${c.location})${c.fields.length > 0 ? `: ${c.fields.join(', ')}` : ''}`,
    );
  if (report.changes.length > shownChanges)
    lines.push(`  … and ${report.changes.length - shownChanges} more (--json lists them all)`);
  if (report.rejected.length > 0) lines.push('rejected:');
  for (const r of report.rejected)
    lines.push(
      `  ${r.location}${r.kind ? ` ${r.kind}` : ''}${r.id ? ` ${r.id}` : ''}: ${r.field}: ${r.reason}`,
    );
  io.out(`${lines.map(printable).join('\n')}\n`);
}

/**
 * `directory import FILE.csv|FILE.json [--dry-run] [--json]`: 0 when every row applied, 65 when
 * some were rejected (the valid ones still applied unless --dry-run) or the file is unreadable
 * as CSV/JSON, 66 when the file is missing, 64 for another extension.
 */
export async function directoryImport(
  app: DirectoryApp,
  file: string,
  opts: { dryRun?: boolean; json?: boolean },
  io: CommandIo = stdio,
): Promise<number> {
  if (!/\.(csv|json)$/i.test(file)) {
    io.err(`postroom: ${file}: expected a .csv or .json file (see docs/directory-import.md)\n`);
    return exitUsage;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.err(
      `postroom: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err)}\n`,
    );
    return code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES' ? exitNoInput : exitDataError;
  }
  let report: ImportReport;
  try {
    report = await importDirectory(directoryOf(app), parseDirectoryFile(file, text), {
      dryRun: opts.dryRun === true,
      now: Date.now(),
    });
  } catch (err) {
    if (!(err instanceof ImportFileError)) throw err;
    io.err(`postroom: ${file}: ${err.message}; nothing was imported\n`);
    return exitDataError;
  }
  if (opts.json) io.out(json({ file, ...report }));
  else printReport(file, report, io);
  return report.rejectedRows > 0 ? exitDataError : 0;
}

/** `directory list [--kind user|contact|company|project] [--json]` */
export async function directoryList(
  app: DirectoryApp,
  opts: { kind?: string; json?: boolean },
  io: CommandIo = stdio,
): Promise<void> {
  const listing = await directoryListing(directoryOf(app), opts.kind);
  if (opts.json) return io.out(json(listing));
  const rows = [
    ...[
      ...(listing.users ?? []).map((p) => ({ kind: 'user', ...p })),
      ...(listing.contacts ?? []).map((p) => ({ kind: 'contact', ...p })),
    ].map((p) => [
      p.kind,
      p.id,
      p.name,
      [p.addresses.join(', '), p.company ? `company ${p.company}` : '', p.lockedOut ? 'LOCKED OUT' : '']
        .filter(Boolean)
        .join('; '),
    ]),
    ...(listing.companies ?? []).map((c) => [
      'company',
      c.id,
      c.name,
      [c.domains.join(', '), c.primaryContact ? `primary ${c.primaryContact}` : '']
        .filter(Boolean)
        .join('; '),
    ]),
    ...(listing.projects ?? []).map((p) => [
      'project',
      p.id,
      p.name,
      [p.active ? 'active' : 'inactive', `team ${p.team.join(', ') || '-'}`].join('; '),
    ]),
  ];
  io.out(table(['KIND', 'ID', 'NAME', 'DETAILS'], rows));
}

/** `directory show ID_OR_ADDRESS [--json]`: one entity with what it is linked to. */
export async function directoryShow(
  app: DirectoryApp,
  target: string,
  opts: { json?: boolean },
  io: CommandIo = stdio,
): Promise<void> {
  const directory = directoryOf(app);
  const key = target.trim();
  let shown: Record<string, unknown> | undefined;
  if (key.includes('@')) {
    const match = await directory.findPartyByAddress(key, addressSettingsFrom(app.config));
    if (!match) throw new Error(`no user or contact has the address ${key}; see \`postroom directory list\``);
    shown = {
      kind: match.party.kind,
      ...partyJson(match.party),
      matched: { address: match.address, via: match.via },
      companyDetails: match.company && companyJson(match.company),
      activeProjects: (await directory.activeProjectsOf(match.party.id)).map((p) => p.id),
    };
  } else {
    const party = await directory.getParty(key);
    const company = party ? undefined : await directory.getCompany(key);
    const project = party || company ? undefined : await directory.findProject(key);
    if (party) {
      const c = party.companyId === null ? undefined : await directory.getCompany(party.companyId);
      shown = {
        kind: party.kind,
        ...partyJson(party),
        companyDetails: c ? companyJson(c) : null,
        activeProjects: (await directory.activeProjectsOf(party.id)).map((p) => p.id),
      };
    } else if (company) {
      shown = {
        kind: 'company',
        ...companyJson(company),
        people: (await directory.partiesOfCompany(company.id)).map((p) => p.id),
      };
    } else if (project) {
      shown = { kind: 'project', ...projectJson(project) };
    }
  }
  if (!shown) throw new Error(`no user, contact, company or project ${key}; see \`postroom directory list\``);
  if (opts.json) return io.out(json(shown));
  io.out(`${showLines(shown).map(printable).join('\n')}\n`);
}

/** `Key: value` lines from the JSON shape, so the two outputs never disagree. */
function showLines(shown: Record<string, unknown>): string[] {
  const label = (k: string): string => `${k}:`.padEnd(16);
  const value = (v: unknown): string =>
    v === null || v === undefined
      ? '-'
      : Array.isArray(v)
        ? v.length === 0
          ? '-'
          : v.map(String).join(', ')
        : typeof v === 'object'
          ? Object.entries(v)
              .map(([k, x]) => `${k}=${value(x)}`)
              .join(' ')
          : String(v);
  return Object.entries(shown).map(([k, v]) => `${label(k)}${value(v)}`);
}
