// Throwaway Dovecot (POP3 + IMAP) servers for tests: our own config on free 127.0.0.1 ports, a
// passwd-file of test users, Maildir storage owned by the `mail` user, a self-signed certificate for
// implicit TLS (imaps/pop3s) and STARTTLS/STLS, and optionally XOAUTH2/OAUTHBEARER through Dovecot's
// oauth2 passdb against a small introspection endpoint (startIntrospectionEndpoint).
//
// Needs the Debian packages dovecot-core, dovecot-pop3d and dovecot-imapd (test/run.sh installs them
// when run as root). Everything lives in one temp folder; stop() ends the master (by its pid, never by
// name) and removes the folder.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  appendFile,
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

export interface RunningDovecot {
  host: '127.0.0.1';
  imapPort: number;
  pop3Port: number;
  /** Implicit TLS (self-signed certificate: connect with rejectUnauthorized false). */
  imapsPort: number;
  pop3sPort: number;
  /** The temp folder holding config, passwd-file, certificate, log (`dovecot.log`) and mail (`home/`). */
  dir: string;
  /** Adds a user to the passwd-file (Dovecot re-reads it on change; no restart needed). */
  addUser(name: string, password: string): Promise<void>;
  /** The user's Maildir (`DIR/home/USER/Maildir`); INBOX is its `new/` + `cur/`. */
  mailDir(user: string): string;
  /** Ends the server and removes `dir`. Safe to call twice. */
  stop(): Promise<void>;
  /** Ends the server, keeping `dir` and the mail, and starts it again on the same ports. */
  restart(): Promise<void>;
}

export interface StartDovecotOptions {
  /** When set, an oauth2 passdb (XOAUTH2 + OAUTHBEARER) validates tokens by POSTing them here. */
  oauth2IntrospectionUrl?: string;
}

const DOVECOT = '/usr/sbin/dovecot';
const HOST = '127.0.0.1';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** True when the Dovecot binary is installed (tests may skip otherwise). */
export async function haveDovecot(): Promise<boolean> {
  try {
    await stat(DOVECOT);
    return true;
  } catch {
    return false;
  }
}

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { cwd: '/', encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** `count` distinct free ports: all bound at once (port 0) before any is released. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const srv = createServer();
      servers.push(srv);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          srv.on('error', reject);
          srv.listen(0, HOST, () => {
            const addr = srv.address();
            if (typeof addr === 'object' && addr !== null) resolve(addr.port);
            else reject(new Error('could not pick a free port'));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** uid/gid of a local user from /etc/passwd. */
async function lookupUser(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && f[3] !== undefined)
      return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`no local user '${name}' (needed for Dovecot mail storage)`);
}

/** The OS account that owns mail: `mail` (uid 8 on Debian) when root, else ourselves. */
async function storageAccount(): Promise<{ name: string; group: string; uid: number; gid: number }> {
  if (isRoot) {
    const { uid, gid } = await lookupUser('mail');
    return { name: 'mail', group: 'mail', uid, gid };
  }
  const me = userInfo();
  const group = (await readFile('/etc/group', 'utf8'))
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[2] === String(me.gid))?.[0];
  return { name: me.username, group: group ?? String(me.gid), uid: me.uid, gid: me.gid };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // Orphaned daemons may linger as zombies when PID 1 does not reap them: those are gone too.
  try {
    const stat = readFileSyncSafe(`/proc/${pid}/stat`);
    if (stat === undefined) return false;
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

function readFileSyncSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every live descendant of `root` (by walking /proc ppid links). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const stat = readFileSyncSafe(`/proc/${e}/stat`);
    if (stat === undefined) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(e));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitGone(pids: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!pids.some(isAlive)) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}

/** Masters we started and have not stopped: ended when the test process exits without stop(). */
const liveMasters = new Set<number>();
process.once('exit', () => {
  for (const pid of liveMasters) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
});

/** Resolves once `port` accepts a connection and sends a greeting line. */
function greeting(port: number, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: HOST, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no greeting on port ${port}`));
    }, ms);
    sock.setEncoding('utf8');
    sock.once('data', (d: string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(d);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function waitForGreeting(port: number, ms: number, died: () => string | undefined): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const why = died();
    if (why !== undefined) throw new Error(`dovecot ${why}`);
    try {
      await greeting(port, Math.max(500, deadline - Date.now()));
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

async function logTail(dir: string): Promise<string> {
  try {
    return (await readFile(join(dir, 'dovecot.log'), 'utf8')).split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

/** passwd-file fields are `:`-separated lines; user names also become folder names under home/. */
function checkField(what: 'user name' | 'password', value: string): void {
  const bad = what === 'user name' ? /[:\s%/\\\0]|^\.\.?$/ : /[:\r\n\0]/;
  if (value === '' || bad.test(value)) {
    throw new Error(`invalid ${what} for the Dovecot passwd-file: ${JSON.stringify(value)}`);
  }
}

interface Layout {
  dir: string;
  conf: string;
  passwd: string;
  home: string;
  imapPort: number;
  pop3Port: number;
  imapsPort: number;
  pop3sPort: number;
}

function dovecotConf(
  l: Layout,
  account: { name: string; group: string },
  oauth2Conf: string | undefined,
): string {
  const mechanisms = oauth2Conf === undefined ? 'plain login' : 'plain login xoauth2 oauthbearer';
  const nonRoot = isRoot
    ? ''
    : `default_internal_user = ${account.name}
default_login_user = ${account.name}
service imap-login {
  chroot =
}
service pop3-login {
  chroot =
}
`;
  const oauth2Passdb =
    oauth2Conf === undefined
      ? ''
      : `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${oauth2Conf}
}
`;
  return `# Generated by test/support/dovecot.ts for a throwaway test server.
instance_name = postroom-${randomBytes(4).toString('hex')}
base_dir = ${l.dir}/run
state_dir = ${l.dir}/state
protocols = imap pop3
listen = ${HOST}
log_path = ${l.dir}/dovecot.log
info_log_path = ${l.dir}/dovecot.log
shutdown_clients = yes
${nonRoot}
ssl = yes
ssl_cert = <${l.dir}/cert.pem
ssl_key = <${l.dir}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = ${mechanisms}
auth_verbose = yes
auth_failure_delay = 0
auth_cache_size = 0

first_valid_uid = 1
first_valid_gid = 1
mail_uid = ${account.name}
mail_gid = ${account.group}
mail_location = maildir:~/Maildir
mail_max_userip_connections = 1000
imap_idle_notify_interval = 2 secs
pop3_uidl_format = %08Xu%08Xv

namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Junk {
    special_use = \\Junk
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Archive {
    special_use = \\Archive
  }
}

passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u ${l.passwd}
}
${oauth2Passdb}userdb {
  driver = static
  args = uid=${account.name} gid=${account.group} home=${l.home}/%u
}

# No auth penalty: tests refuse passwords on purpose, and anvil would then slow every later
# login from 127.0.0.1 by up to 15 seconds.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    address = ${HOST}
    port = ${l.imapPort}
  }
  inet_listener imaps {
    address = ${HOST}
    port = ${l.imapsPort}
    ssl = yes
  }
  process_min_avail = 1
}
service pop3-login {
  inet_listener pop3 {
    address = ${HOST}
    port = ${l.pop3Port}
  }
  inet_listener pop3s {
    address = ${HOST}
    port = ${l.pop3sPort}
    ssl = yes
  }
  process_min_avail = 1
}
`;
}

/** Starts a throwaway Dovecot. Stop it with `stop()` (also in `finally`/`after` hooks). */
export async function startDovecot(opts: StartDovecotOptions = {}): Promise<RunningDovecot> {
  if (!(await haveDovecot())) {
    throw new Error(
      `Dovecot is not installed (${DOVECOT}); install dovecot-core dovecot-pop3d dovecot-imapd`,
    );
  }
  const account = await storageAccount();
  const dir = await mkdtemp(join(tmpdir(), 'postroom-dovecot-'));
  // Dovecot's auth process runs as `dovecot` and must reach the passwd-file; mail runs as `mail`.
  await chmod(dir, 0o755);
  try {
    const [imapPort, pop3Port, imapsPort, pop3sPort] = await freePorts(4);
    if (
      imapPort === undefined ||
      pop3Port === undefined ||
      imapsPort === undefined ||
      pop3sPort === undefined
    ) {
      throw new Error('could not pick free ports');
    }
    const layout: Layout = {
      dir,
      conf: join(dir, 'dovecot.conf'),
      passwd: join(dir, 'passwd'),
      home: join(dir, 'home'),
      imapPort,
      pop3Port,
      imapsPort,
      pop3sPort,
    };
    await mkdir(layout.home, { mode: 0o755 });
    await chown(layout.home, account.uid, account.gid);
    await mkdir(join(dir, 'state'), { mode: 0o755 });
    await writeFile(layout.passwd, '', { mode: 0o644 });

    // prettier-ignore
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ]);
    await chmod(join(dir, 'key.pem'), 0o600);

    let oauth2Conf: string | undefined;
    if (opts.oauth2IntrospectionUrl !== undefined) {
      oauth2Conf = join(dir, 'oauth2.conf.ext');
      await writeFile(
        oauth2Conf,
        [
          'introspection_mode = post',
          `introspection_url = ${opts.oauth2IntrospectionUrl}`,
          'force_introspection = yes',
          'username_attribute = username',
          'active_attribute = active',
          'active_value = true',
          'timeout_msecs = 5000',
          '',
        ].join('\n'),
        { mode: 0o644 },
      );
    }
    await writeFile(layout.conf, dovecotConf(layout, account, oauth2Conf), { mode: 0o644 });

    let master: ChildProcess | undefined;

    const start = async (): Promise<void> => {
      // -F: stay in the foreground as our child, so we reap it (this machine's PID 1 leaves
      // orphaned daemons as zombies). Output goes to a file: an inherited pipe would never close.
      const out = openSync(join(dir, 'dovecot.out'), 'a');
      let exited: string | undefined;
      try {
        const child = spawn(DOVECOT, ['-F', '-c', layout.conf], { cwd: '/', stdio: ['ignore', out, out] });
        master = child;
        child.once('error', (err) => (exited = err.message));
        child.once('exit', (code, signal) => {
          exited = `exited with ${signal ?? `code ${code}`}`;
          if (child.pid !== undefined) liveMasters.delete(child.pid);
        });
        child.unref(); // a forgotten stop() must not keep the test process alive (the exit hook ends it)
        if (child.pid !== undefined) liveMasters.add(child.pid);
        await waitForGreeting(imapPort, 15_000, () => exited);
        await waitForGreeting(pop3Port, 15_000, () => exited);
      } catch (err) {
        await halt();
        const output = readFileSyncSafe(join(dir, 'dovecot.out')) ?? '';
        throw new Error(
          `Dovecot did not start: ${(err as Error).message}\n${output}--- log ---\n${await logTail(dir)}`,
          { cause: err },
        );
      } finally {
        closeSync(out);
      }
    };

    /** Ends the master (SIGTERM by pid) and waits for it and every child it had. */
    const halt = async (): Promise<void> => {
      let pid = master?.pid;
      master = undefined;
      if (pid === undefined) {
        const text = readFileSyncSafe(join(dir, 'run', 'master.pid'));
        pid = text === undefined ? undefined : Number.parseInt(text.trim(), 10);
      }
      if (pid === undefined || !Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
      const family = [pid, ...descendants(pid)];
      process.kill(pid, 'SIGTERM');
      if (!(await waitGone(family, 10_000))) {
        for (const p of family) {
          try {
            if (isAlive(p)) process.kill(p, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await waitGone(family, 5_000);
      }
      liveMasters.delete(pid);
      await rm(join(dir, 'run', 'master.pid'), { force: true });
    };

    await start();

    let stopped = false;
    return {
      host: HOST,
      imapPort,
      pop3Port,
      imapsPort,
      pop3sPort,
      dir,
      async addUser(name: string, password: string): Promise<void> {
        checkField('user name', name);
        checkField('password', password);
        await appendFile(layout.passwd, `${name}:{PLAIN}${password}::::::\n`);
      },
      mailDir(user: string): string {
        return join(layout.home, user, 'Maildir');
      },
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await halt();
        await rm(dir, { recursive: true, force: true });
      },
      async restart(): Promise<void> {
        if (stopped) throw new Error('Dovecot was stopped');
        await halt();
        await start();
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A token introspection endpoint for Dovecot's oauth2 passdb (`introspection_mode = post`): it
 * receives `token=...` form-encoded and answers `{"active": true, "username": ...}` for a known
 * token, else `{"active": false}` (HTTP 200; Dovecot then checks `active_attribute`).
 */
export async function startIntrospectionEndpoint(
  validTokens: Map<string, string>,
): Promise<{ url: string; close(): Promise<void>; requests: number }> {
  const state = { requests: 0 };
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      const body = Buffer.concat(chunks).toString('utf8');
      let token: string | null = null;
      if (req.method === 'POST') token = new URLSearchParams(body).get('token');
      else if (req.url !== undefined) token = new URL(req.url, 'http://x').searchParams.get('token');
      const auth = req.headers.authorization;
      if (token === null && auth?.startsWith('Bearer ') === true) token = auth.slice(7);
      const username = token === null ? undefined : validTokens.get(token);
      const answer =
        username === undefined ? { active: false } : { active: true, username, token_type: 'Bearer' };
      const json = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const addr = server.address();
  if (typeof addr !== 'object' || addr === null) throw new Error('introspection endpoint has no address');
  return {
    url: `http://${HOST}:${addr.port}/introspect`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let deliveries = 0;

/**
 * Writes messages straight into a Maildir folder (`INBOX` = the Maildir root, else `.Folder`):
 * into `tmp/`, then renamed into `new/`, owned by the storage user. Dovecot picks them up at the
 * next sync. Much faster than IMAP APPEND for thousands of messages. Returns the file paths.
 */
export async function deliverToMaildir(
  dovecot: Pick<RunningDovecot, 'mailDir'>,
  user: string,
  messages: readonly Buffer[],
  folder = 'INBOX',
): Promise<string[]> {
  const account = await storageAccount();
  const home = join(dovecot.mailDir(user), '..');
  const root = dovecot.mailDir(user);
  const box = folder === 'INBOX' ? root : join(root, `.${folder.replaceAll('/', '.')}`);
  const made: string[] = [];
  for (const d of [home, root, box, join(box, 'cur'), join(box, 'new'), join(box, 'tmp')]) {
    try {
      await mkdir(d, { mode: 0o700 });
      made.push(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  for (const d of made) await chown(d, account.uid, account.gid);
  if (box !== root && made.includes(box)) {
    await writeFile(join(box, 'maildirfolder'), '', { mode: 0o600 });
    await chown(join(box, 'maildirfolder'), account.uid, account.gid);
  }
  const paths: string[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (const msg of messages) {
    const name = `${now}.M${++deliveries}P${process.pid}R${randomBytes(4).toString('hex')}.postroom`;
    const tmp = join(box, 'tmp', name);
    const dest = join(box, 'new', name);
    await writeFile(tmp, msg, { mode: 0o600 });
    await chown(tmp, account.uid, account.gid);
    await rename(tmp, dest);
    paths.push(dest);
  }
  return paths;
}

/** Appends messages over IMAP (as `user`/`password` on the plain port). Returns the UIDs assigned. */
export async function appendViaImap(
  dovecot: Pick<RunningDovecot, 'host' | 'imapPort'>,
  user: string,
  password: string,
  messages: readonly Buffer[],
  folder = 'INBOX',
): Promise<number[]> {
  const client = new ImapFlow({
    host: dovecot.host,
    port: dovecot.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
  });
  await client.connect();
  try {
    if (folder !== 'INBOX') {
      const existing = await client.list();
      if (!existing.some((m) => m.path === folder)) await client.mailboxCreate(folder);
    }
    const uids: number[] = [];
    for (const msg of messages) {
      const res = await client.append(folder, msg);
      if (res !== false && res.uid !== undefined) uids.push(res.uid);
    }
    return uids;
  } finally {
    await client.logout().catch(() => undefined);
  }
}

/**
 * Puts messages in a user's folder: Maildir files by default (fast, no UIDs until Dovecot syncs),
 * or IMAP APPEND when a password is given with `via: 'imap'`.
 */
export async function appendMessages(
  dovecot: RunningDovecot,
  user: string,
  messages: readonly Buffer[],
  folder = 'INBOX',
  via: { imap: { password: string } } | undefined = undefined,
): Promise<void> {
  if (via === undefined) await deliverToMaildir(dovecot, user, messages, folder);
  else await appendViaImap(dovecot, user, via.imap.password, messages, folder);
}
