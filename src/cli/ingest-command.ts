import type { Readable } from 'node:stream';
import { toPostroomError } from '../core/errors.ts';
import type { IntakeSource } from '../core/message.ts';
import { NotMailError, readFileSources, type FileMessage } from '../intake/file-sources.ts';
import { spoolRaw, type SpooledRow } from '../intake/spool-writer.ts';
import { Runner } from '../runner.ts';
import type { OpenApp } from './app.ts';
import { runnerContext } from './runner-context.ts';
import { showSpooled } from './spool-visibility.ts';

/** sysexits.h codes, as MTAs (Postfix pipe, fetchmail mda, procmail) read them. */
export const exitCodes = { stored: 0, usage: 64, notMail: 65, tempFail: 75 } as const;

export interface IngestOptions {
  config?: string;
  mailbox?: string;
  process?: boolean;
  json?: boolean;
}

interface IngestReport {
  origin: string;
  result: 'stored' | 'duplicate' | 'not_mail' | 'temp_fail';
  id?: number;
  error?: string;
}

/** `postroom ingest FILE|DIR|-`: stores each message durably and exits 0 only when all are committed. */
export async function ingestCommand(
  openApp: OpenApp,
  target: string,
  options: IngestOptions,
): Promise<number> {
  let app;
  try {
    app = await openApp({
      ...(options.config === undefined ? {} : { configFile: options.config }),
      quiet: true,
    });
  } catch (err) {
    // The store being down is a temporary failure: the MTA must keep the mail and retry.
    const e = toPostroomError(err);
    if (e.temporary) {
      process.stderr.write(`postroom ingest: ${e.message}\n`);
      return exitCodes.tempFail;
    }
    throw err;
  }
  try {
    const mailbox = pickMailbox(
      app.config.mailboxes.map((m) => m.address),
      options.mailbox,
    );
    if (!mailbox) {
      process.stderr.write(
        `postroom ingest: --mailbox ${options.mailbox} is not a configured mailbox (configured: ${app.config.mailboxes.map((m) => m.address).join(', ')})\n`,
      );
      return exitCodes.usage;
    }
    const reports: IngestReport[] = [];
    const spoolContext = {
      store: app.store,
      blobs: app.blobs,
      maxMessageSize: app.config.limits.messageSize,
      now: Date.now,
      onSpooled: (rows: readonly SpooledRow[]) => showSpooled(app, rows),
    };
    try {
      const sources = readFileSources(target, {
        stdin: process.stdin,
        onNotMail: (err) => reports.push({ origin: err.origin, result: 'not_mail', error: err.message }),
      });
      for await (const message of sources) {
        reports.push(await ingestOne(message, mailbox, spoolContext));
      }
    } catch (err) {
      if (err instanceof NotMailError)
        reports.push({ origin: err.origin, result: 'not_mail', error: err.message });
      else if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        process.stderr.write(`postroom ingest: ${(err as Error).message}\n`);
        return exitCodes.usage;
      } else reports.push({ origin: target, result: 'temp_fail', error: toPostroomError(err).message });
    }
    if (options.process) {
      const runner = new Runner(await runnerContext(app));
      await runner.drain();
    }
    for (const r of reports) {
      if (!options.json && r.result !== 'stored' && r.result !== 'duplicate')
        process.stderr.write(`postroom ingest: ${r.origin}: ${r.error}\n`);
    }
    if (options.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    else if (reports.length > 1 || process.stdout.isTTY) {
      const count = (k: IngestReport['result']): number => reports.filter((r) => r.result === k).length;
      process.stdout.write(
        `stored ${count('stored')}, duplicates ${count('duplicate')}, not mail ${count('not_mail')}, failed ${count('temp_fail')}\n`,
      );
    }
    if (reports.some((r) => r.result === 'temp_fail')) return exitCodes.tempFail;
    if (reports.some((r) => r.result === 'not_mail')) return exitCodes.notMail;
    return exitCodes.stored;
  } finally {
    await app.close();
  }
}

async function ingestOne(
  message: FileMessage,
  mailbox: string,
  spoolContext: Parameters<typeof spoolRaw>[0],
): Promise<IngestReport> {
  const source: IntakeSource = message.kind === 'eml' ? 'file' : message.kind;
  let stream: Readable | undefined;
  try {
    stream = message.open() as Readable;
    const stored = await spoolRaw(spoolContext, stream, {
      mailboxes: [mailbox],
      source,
      origin: message.origin,
    });
    const row = stored.rows[0];
    return {
      origin: message.origin,
      result: row?.duplicate ? 'duplicate' : 'stored',
      ...(row ? { id: row.id } : {}),
    };
  } catch (err) {
    stream?.destroy();
    if (err instanceof NotMailError)
      return { origin: message.origin, result: 'not_mail', error: err.message };
    const e = toPostroomError(err);
    // Too large is permanent: an MTA should bounce, not retry forever.
    if (e.code === 'message_too_large')
      return { origin: message.origin, result: 'not_mail', error: e.message };
    return { origin: message.origin, result: 'temp_fail', error: `${e.message}` };
  }
}

function pickMailbox(configured: readonly string[], wanted: string | undefined): string | undefined {
  if (wanted === undefined) return configured[0];
  return configured.find((m) => m.toLowerCase() === wanted.toLowerCase());
}
