#!/usr/bin/env node
import { mkdirSync, accessSync, constants } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { App, OpenApp } from './cli/app.ts';
import { buildProgram } from './cli/program.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import { errorCodes, PostroomError } from './core/errors.ts';
import { FsBlobStore } from './store/blobs/fs-blobs.ts';
import { SpoolView } from './store/blobs/spool-view.ts';
import { openStore } from './store/open-store.ts';

/** EX_CONFIG from sysexits.h: scripts and service managers know it means "fix the configuration". */
const exitConfig = 78;

/** The composition root: the only place that picks and constructs backends. */
const openApp: OpenApp = async ({ configFile, quiet }) => {
  const { config, file } = loadConfig({ file: configFile });
  const log = makeLogger(config.log.level, quiet === true);
  ensureWritable(config.dataDir);
  const blobs = new FsBlobStore(config.dataDir);
  const view = new SpoolView(config.dataDir, blobs);
  const store = await openStore(config.database.url, config.dataDir);
  const app: App = {
    config,
    configFile: file,
    store,
    blobs,
    showInSpool: (id, sha256, state) => view.show(id, sha256, state),
    log,
    close: () => store.close(),
  };
  return app;
};

function makeLogger(level: string, quiet: boolean): Logger {
  // Commands print results on stdout; their logs go to stderr and only when something is wrong.
  if (quiet) return pino({ level: level === 'silent' ? 'silent' : 'warn' }, pino.destination(2));
  if (process.stdout.isTTY) return pino({ level, transport: { target: 'pino-pretty', options: { destination: 1 } } });
  return pino({ level });
}

function ensureWritable(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    throw new PostroomError(
      'blob_write_failed',
      `The data folder ${dataDir} cannot be created or written (${(err as Error).message}). ` +
        'Set dataDir in postroom.config.yaml (or POSTROOM_DATA_DIR) to a folder this user can write, or fix its permissions.',
    );
  }
}

/** Turns what went wrong into one paragraph an admin can act on, and an exit code. */
function reportFatal(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    return exitConfig;
  }
  if (err instanceof PostroomError) {
    process.stderr.write(`postroom: ${err.message}\n${errorCodes[err.code].help}\n`);
    return err.temporary ? 75 : 1;
  }
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`postroom: ${e.message ?? String(err)}\n`);
  if (process.env['POSTROOM_DEBUG']) process.stderr.write(`${e.stack ?? ''}\n`);
  return 1;
}

try {
  await buildProgram(openApp).parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportFatal(err);
}
