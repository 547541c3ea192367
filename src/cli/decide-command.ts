import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { toPostroomError } from '../core/errors.ts';
import { openDecideSandbox } from '../decide-sandbox.ts';
import { decideRaw, type DecideReport } from '../decide/decide-raw.ts';
import { printJson, table } from './format.ts';

export interface DecideOptions {
  json?: boolean;
  mailbox?: string;
  configFile?: string;
}

/**
 * `postroom decide PATH...`: how the engine would treat each mail, without writing anything.
 * It reads the configuration (prefixes, limits, the mailbox's settings) but uses an empty
 * in-memory store, so replies to mail that only the real store knows show as new.
 * Exit 0 when every file was read, 65 when a path held no mail, 66 when a path is missing.
 */
export async function decideCommand(paths: readonly string[], opts: DecideOptions): Promise<number> {
  const { config } = loadConfig({ file: opts.configFile });
  const mailbox = opts.mailbox
    ? config.mailboxes.find((m) => m.address.toLowerCase() === opts.mailbox?.toLowerCase())
    : config.mailboxes[0];
  if (!mailbox) {
    process.stderr.write(
      `postroom decide: mailbox ${opts.mailbox} is not configured; use one of ${config.mailboxes.map((m) => m.address).join(', ')}\n`,
    );
    return 64;
  }
  const files: string[] = [];
  for (const path of paths) {
    try {
      files.push(...(await mailFiles(path)));
    } catch (err) {
      process.stderr.write(`postroom decide: ${path}: ${(err as Error).message}\n`);
      return 66;
    }
  }
  const sandbox = await openDecideSandbox({ ...config, mailbox });
  const reports: DecideReport[] = [];
  let unreadable = 0;
  try {
    for (const file of files) {
      try {
        reports.push(await decideRaw(await readFile(file), { ...sandbox.options, file }));
      } catch (err) {
        unreadable += 1;
        process.stderr.write(`postroom decide: ${file}: ${toPostroomError(err).message}\n`);
      }
    }
  } finally {
    await sandbox.close();
  }
  if (opts.json) printJson(reports);
  else process.stdout.write(readable(reports));
  return unreadable > 0 || files.length === 0 ? 65 : 0;
}

/** A file as given; in a folder, every .eml and every Maildir message, sorted. */
async function mailFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const found: string[] = [];
  const walk = async (dir: string, inMaildir: boolean): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full, entry.name === 'cur' || entry.name === 'new');
      else if (entry.isFile() && (inMaildir || /\.(eml|msg)$/i.test(entry.name))) found.push(full);
    }
  };
  await walk(path, false);
  return found;
}

function readable(reports: readonly DecideReport[]): string {
  const rows = reports.map((r) => [
    r.file,
    r.class + (r.list ? ' (list)' : ''),
    r.category,
    r.from?.address ?? '',
    r.subject,
    r.notice
      ? `${r.notice.kind}: ${r.notice.recipients.map((x) => `${x.address} ${x.status || x.replyCode} ${x.reason}`.trim()).join(', ')}`
      : r.forwarded?.from
        ? `forwarded from ${r.forwarded.from.address}`
        : r.state !== 'processed'
          ? r.state
          : '',
  ]);
  return table(['FILE', 'CLASS', 'CATEGORY', 'FROM', 'SUBJECT', 'DETAILS'], rows);
}
