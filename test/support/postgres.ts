// Throwaway PostgreSQL clusters for tests: initdb + pg_ctl on a free 127.0.0.1 port,
// data and socket in a temp dir. Runs the server as the `postgres` OS user when we are root.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

export interface RunningPostgres {
  /** Admin URL: superuser `postgres`, database `postgres`, trust auth on 127.0.0.1. */
  url: string;
  port: number;
  /** Data directory (also holds the unix socket and `server.log`). */
  dir: string;
  stop(): Promise<void>;
}

const PG_ROOT = '/usr/lib/postgresql';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Newest installed PostgreSQL bin dir (e.g. /usr/lib/postgresql/15/bin), or undefined. */
export async function findPostgresBin(): Promise<string | undefined> {
  let versions: string[];
  try {
    versions = await readdir(PG_ROOT);
  } catch {
    return undefined;
  }
  const sorted = versions.filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of sorted) {
    const bin = join(PG_ROOT, v, 'bin');
    try {
      await stat(join(bin, 'initdb'));
      return bin;
    } catch {
      // try the next version
    }
  }
  return undefined;
}

function run(file: string, args: readonly string[]): Promise<string> {
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, [...args]];
  return new Promise((resolve, reject) => {
    // cwd '/' so the postgres user never trips over an unreadable working directory.
    execFile(cmd, argv, { cwd: '/', encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}

/** Let the postgres user traverse every parent of `dir` (adds only the search bit where missing). */
async function makeTraversable(dir: string): Promise<void> {
  for (let d = dirname(dir); ; d = dirname(d)) {
    const { mode } = await stat(d);
    if ((mode & 0o001) === 0) await chmod(d, (mode & 0o7777) | 0o011);
    if (dirname(d) === d) break;
  }
}

/** Stops the cluster in `dir` (pg_ctl stop -m fast) and removes `dir`. Safe to call twice. */
export async function stopPostgresDir(dir: string): Promise<void> {
  const bin = await findPostgresBin();
  try {
    await stat(join(dir, 'postmaster.pid'));
    if (bin) await run(join(bin, 'pg_ctl'), ['-D', dir, '-m', 'fast', '-w', 'stop']);
  } catch {
    // not running (or already gone)
  }
  await rm(dir, { recursive: true, force: true });
}

/** PID of the postmaster of the cluster in `dir` (first line of postmaster.pid). */
export async function postmasterPid(dir: string): Promise<number> {
  const first = (await readFile(join(dir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '';
  const pid = Number.parseInt(first, 10);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`bad postmaster.pid in ${dir}`);
  return pid;
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = await findPostgresBin();
  if (!bin) throw new Error(`no PostgreSQL found under ${PG_ROOT}/*/bin (apt-get install postgresql)`);
  const dir = await mkdtemp(join(tmpdir(), 'postroom-pg-'));
  try {
    if (isRoot) {
      // The server refuses to run as root: hand the dir to the `postgres` user (made by the Debian package).
      const pw = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
      const [, , uid, gid] = pw?.split(':') ?? [];
      if (uid === undefined || gid === undefined)
        throw new Error('no `postgres` OS user to run the server as');
      await chown(dir, Number(uid), Number(gid));
      await makeTraversable(dir);
    }
    await run(join(bin, 'initdb'), [
      '-D',
      dir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
      try {
        // -l: the postmaster must not hold our stdout/stderr pipes open after pg_ctl exits.
        await run(join(bin, 'pg_ctl'), ['-D', dir, '-l', join(dir, 'server.log'), '-o', opts, '-w', 'start']);
      } catch (err) {
        lastError = err; // most likely the port was taken in between: try another
        continue;
      }
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        dir,
        stop: () => stopPostgresDir(dir),
      };
    }
    throw lastError;
  } catch (err) {
    await stopPostgresDir(dir);
    throw err;
  }
}

/**
 * Creates database `name` (optionally from `template`) on the cluster at `adminUrl` and returns its URL.
 * Note: PostgreSQL refuses to copy a template that has open connections.
 */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const from = template === undefined ? '' : ` TEMPLATE ${client.escapeIdentifier(template)}`;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${from}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** Admin URL of the running test cluster (set by test/run.sh), if any. */
export function postgresUrlFromEnv(): string | undefined {
  const url = process.env['POSTROOM_TEST_PG_URL'];
  return url === undefined || url === '' ? undefined : url;
}
