import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { App } from './cli/app.ts';
import type { Config } from './config/schema.ts';
import { PostroomError } from './core/errors.ts';
import { SpoolView } from './store/blobs/spool-view.ts';
import { openBlobs } from './store/blobs/tiered-blobs.ts';
import { openStore } from './store/open-store.ts';

/**
 * Builds the app from a validated config: the one place that picks and constructs backends.
 * Used by main.ts for the process and by worker-main.ts for each worker thread.
 */
export async function openAppFromConfig(
  config: Readonly<Config>,
  configFile: string | undefined,
  options: { quiet?: boolean; name?: string; role?: 'intake' | 'worker' } = {},
): Promise<App> {
  const log = makeLogger(config.log.level, options.quiet === true, options.name);
  ensureWritable(config.dataDir);
  const store = await openStore(config.database.url, config.dataDir, { role: options.role ?? 'intake' });
  const blobs = openBlobs(config.dataDir, store);
  const view = new SpoolView(config.dataDir, blobs);
  let secret = config.signing.secret;
  try {
    // The first process to start writes it; every later one, on any node, reads the same key.
    if (secret === '') secret = await store.ensureSetting('signing_secret', randomBytes(32).toString('base64url'));
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    signing: { secret, domain: config.signing.domain },
    config,
    configFile,
    store,
    blobs,
    showInSpool: (id, sha256, state, options) => view.show(id, sha256, state, options),
    spoolView: view,
    log,
    close: () => store.close(),
  };
}

function makeLogger(level: string, quiet: boolean, name: string | undefined): Logger {
  const base = name === undefined ? {} : { name };
  // Commands print results on stdout; their logs go to stderr and only when something is wrong.
  if (quiet) return pino({ ...base, level: level === 'silent' ? 'silent' : 'warn' }, pino.destination(2));
  if (process.stdout.isTTY)
    return pino({ ...base, level, transport: { target: 'pino-pretty', options: { destination: 1 } } });
  return pino({ ...base, level });
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
