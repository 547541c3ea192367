// Shared helpers for tests: temp data folders, stores on both backends, a real `postroom start`
// child process on a free port, and the CLI run as a user would run it.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { openBlobs, type TieredBlobStore } from '../../src/store/blobs/tiered-blobs.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createDatabase, postgresUrlFromEnv } from './postgres.ts';

export const root = resolve(import.meta.dirname, '../..');
export const mainTs = join(root, 'src/main.ts');

export type Backend = 'sqlite' | 'postgres';

/** The backends a store test runs on: SQLite always, PostgreSQL when the test cluster is up. */
export function backends(): Backend[] {
  return postgresUrlFromEnv() ? ['sqlite', 'postgres'] : ['sqlite'];
}

export function tempDir(prefix = 'postroom-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A database URL for a fresh, empty database of `backend` ('' = SQLite under the data dir). */
export async function freshDatabaseUrl(backend: Backend): Promise<string> {
  if (backend === 'sqlite') return '';
  const admin = postgresUrlFromEnv();
  if (!admin) throw new Error('POSTROOM_TEST_PG_URL is not set (run the tests with npm test)');
  return createDatabase(admin, `t_${randomBytes(6).toString('hex')}`);
}

export interface TestStore {
  store: Store;
  blobs: TieredBlobStore;
  dataDir: string;
  url: string;
  cleanup(): Promise<void>;
}

/** A migrated store and blob folder of `backend` in a new temp folder. */
export async function openTestStore(backend: Backend): Promise<TestStore> {
  const dataDir = tempDir();
  const url = await freshDatabaseUrl(backend);
  const store = await openStore(url, dataDir);
  return {
    store,
    blobs: openBlobs(dataDir, store),
    dataDir,
    url,
    async cleanup() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const silentLog = pino({ level: 'silent' });

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Writes a postroom.config.yaml into `dir` and returns its path. */
export function writeConfig(dir: string, yaml: string): string {
  const file = join(dir, 'postroom.config.yaml');
  writeFileSync(file, yaml);
  return file;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `postroom ARGS` as a child process, as a user or an MTA would. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: Buffer | string } = {},
): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [mainTs, ...args], {
      cwd: options.cwd ?? root,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', reject);
    child.once('close', (code) =>
      resolveRun({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

export interface EngineProcess {
  child: ChildProcess;
  port: number;
  /** everything the engine logged so far */
  output(): string;
  /** SIGTERM and wait; resolves with the exit code */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** Engine children still running: killed if the test process exits or is ended by a signal. */
const liveEngines = new Set<ChildProcess>();
function killLiveEngines(): void {
  for (const child of liveEngines)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
process.on('exit', killLiveEngines);
for (const [signal, number] of [
  ['SIGTERM', 15],
  ['SIGINT', 2],
  ['SIGHUP', 1],
] as const) {
  process.once(signal, () => {
    killLiveEngines();
    process.exit(128 + number);
  });
}

/** Starts `postroom start -c CONFIG` and waits until it logs that it listens. */
export async function startEngine(options: {
  cwd: string;
  config: string;
  port: number;
  env?: NodeJS.ProcessEnv;
}): Promise<EngineProcess> {
  const child = spawn(process.execPath, [mainTs, 'start', '-c', options.config], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveEngines.add(child);
  child.once('exit', () => liveEngines.delete(child));
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave an orphan holding the port
      reject(new Error(`engine did not start in 20s:\n${log}`));
    }, 20_000);
    const check = (): void => {
      if (log.includes('postroom started')) {
        clearTimeout(timer);
        resolveStart();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited with ${code} before starting:\n${log}`));
    });
  });
  return {
    child,
    port: options.port,
    output: () => log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** SIGTERM, and SIGKILL if the engine has not drained within `ms` (benchmarks must not hang on it). */
export async function stopOrKill(engine: EngineProcess | undefined, ms = 30_000): Promise<void> {
  if (!engine) return;
  const stopping = engine.stop();
  const timer = setTimeout(() => void engine.kill(), ms);
  await stopping;
  clearTimeout(timer);
}

/** Polls `check` until it returns true or `ms` pass. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  ms = 30_000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** A config for tests: the given database, a free SMTP port, fast polling. */
export function engineConfig(options: {
  dataDir: string;
  url: string;
  port: number;
  extra?: string;
}): string {
  return [
    `dataDir: ${options.dataDir}`,
    `database: { url: "${options.url}" }`,
    'log: { level: info }',
    `smtp: { port: ${options.port} }`,
    'runner: { pollInterval: 50ms, leaseSeconds: 10s, backoff: { base: 1s, max: 5s } }',
    options.extra ?? '',
  ].join('\n');
}
