import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import {
  appendViaImap,
  deliverToMaildir,
  haveDovecot,
  startDovecot,
  startIntrospectionEndpoint,
  type RunningDovecot,
} from '../support/dovecot.ts';

const USER = 'alice';
const PASSWORD = 'correct horse';
const installed = await haveDovecot();

function message(n: number): Buffer {
  return Buffer.from(
    `From: sender${n}@example.test\r\nTo: ${USER}@example.test\r\nSubject: test ${n}\r\n` +
      `Message-ID: <support-${n}@example.test>\r\n\r\nbody ${n}\r\n`,
  );
}

function imapOptions(d: RunningDovecot, auth: ImapFlowOptions['auth'], secure = false): ImapFlowOptions {
  return {
    host: d.host,
    port: secure ? d.imapsPort : d.imapPort,
    secure,
    tls: { rejectUnauthorized: false },
    auth,
    logger: false,
  };
}

/** Logs in, lists INBOX UIDs, logs out. */
async function inboxUids(options: ImapFlowOptions): Promise<{ uids: number[]; secure: boolean }> {
  const client = new ImapFlow(options);
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const uids = await client.search({ all: true }, { uid: true });
      return { uids: Array.isArray(uids) ? uids : [], secure: client.secureConnection };
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
}

/** A minimal line-oriented POP3 client over a raw socket (plain or implicit TLS). */
class Pop3 {
  private buf = '';
  private waiters: Array<() => void> = [];
  private readonly sock: Socket;
  private closed = false;

  constructor(sock: Socket) {
    this.sock = sock;
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', () => undefined);
  }

  static async open(d: RunningDovecot, tls = false): Promise<Pop3> {
    const sock = tls
      ? tlsConnect({ host: d.host, port: d.pop3sPort, rejectUnauthorized: false })
      : netConnect({ host: d.host, port: d.pop3Port });
    const pop = new Pop3(sock);
    const greeting = await pop.line();
    assert.match(greeting, /^\+OK/);
    return pop;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async line(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        return l;
      }
      if (this.closed) throw new Error('POP3 connection closed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async command(cmd: string): Promise<string> {
    this.sock.write(`${cmd}\r\n`);
    return this.line();
  }

  /** Reads a multi-line answer after a +OK status line (dot-unstuffed lines). */
  async multiline(): Promise<string[]> {
    const out: string[] = [];
    for (let l = await this.line(); l !== '.'; l = await this.line())
      out.push(l.startsWith('..') ? l.slice(1) : l);
    return out;
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Live (non-zombie) processes, with parent pid and command line, from /proc. */
function processes(): Array<{ pid: number; ppid: number; cmd: string }> {
  const out: Array<{ pid: number; ppid: number; cmd: string }> = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z' || state === 'X') continue;
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.push({ pid: Number(e), ppid: Number(ppid), cmd });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Our master (its command line names `dir`) and its children. */
function dovecotProcesses(dir: string): number[] {
  const all = processes();
  const masters = all.filter((p) => p.cmd.includes(dir)).map((p) => p.pid);
  return [...masters, ...all.filter((p) => masters.includes(p.ppid)).map((p) => p.pid)];
}

describe(
  'Dovecot test support',
  { skip: installed ? false : 'Dovecot not installed (/usr/sbin/dovecot)' },
  () => {
    let dovecot: RunningDovecot;
    let introspection: Awaited<ReturnType<typeof startIntrospectionEndpoint>>;
    let masterPid: number;

    before(async () => {
      introspection = await startIntrospectionEndpoint(new Map([['good-token', USER]]));
      dovecot = await startDovecot({ oauth2IntrospectionUrl: introspection.url });
      masterPid = Number(readFileSync(`${dovecot.dir}/run/master.pid`, 'utf8').trim());
      await dovecot.addUser(USER, PASSWORD);
      await dovecot.addUser('bob', 'bobs-password');
      const paths = await deliverToMaildir(dovecot, USER, [message(1), message(2), message(3)]);
      assert.equal(paths.length, 3);
      assert.ok(paths.every((p) => p.startsWith(`${dovecot.mailDir(USER)}/new/`)));
    });

    after(async () => {
      await dovecot?.stop();
      await introspection?.close();
    });

    it('serves IMAP with STARTTLS on the plain port: 3 messages with UIDs', async () => {
      const { uids, secure } = await inboxUids(imapOptions(dovecot, { user: USER, pass: PASSWORD }));
      assert.deepEqual(uids, [1, 2, 3]);
      assert.equal(secure, true, 'imapflow upgraded the plain connection with STARTTLS');

      const client = new ImapFlow(imapOptions(dovecot, { user: USER, pass: PASSWORD }));
      await client.connect();
      try {
        const lock = await client.getMailboxLock('INBOX');
        try {
          const subjects: string[] = [];
          for await (const msg of client.fetch('1:*', { uid: true, envelope: true }, { uid: true })) {
            subjects.push(msg.envelope?.subject ?? '');
          }
          assert.deepEqual(subjects.sort(), ['test 1', 'test 2', 'test 3']);
          assert.ok(typeof client.mailbox === 'object' && client.mailbox.uidValidity > 0n);
        } finally {
          lock.release();
        }
      } finally {
        await client.logout();
      }
    });

    it('serves IMAP over implicit TLS', async () => {
      const { uids, secure } = await inboxUids(imapOptions(dovecot, { user: USER, pass: PASSWORD }, true));
      assert.deepEqual(uids, [1, 2, 3]);
      assert.equal(secure, true);
    });

    it('refuses a wrong IMAP password', async () => {
      await assert.rejects(inboxUids(imapOptions(dovecot, { user: USER, pass: 'wrong' })));
      await assert.rejects(inboxUids(imapOptions(dovecot, { user: 'nobody', pass: PASSWORD })));
    });

    it('serves POP3 (USER/PASS/UIDL/RETR/QUIT), plain and implicit TLS', async () => {
      for (const tls of [false, true]) {
        const pop = await Pop3.open(dovecot, tls);
        try {
          assert.match(await pop.command(`USER ${USER}`), /^\+OK/);
          assert.match(await pop.command(`PASS ${PASSWORD}`), /^\+OK/);
          assert.match(await pop.command('UIDL'), /^\+OK/);
          const uidl = await pop.multiline();
          assert.equal(uidl.length, 3);
          // pop3_uidl_format = %08Xu%08Xv: 8 hex digits of UID, then 8 of UIDVALIDITY (Dovecot writes lowercase).
          for (const [i, l] of uidl.entries()) {
            assert.match(l, new RegExp(`^${i + 1} ${(i + 1).toString(16).padStart(8, '0')}[0-9a-f]{8}$`));
          }
          assert.match(await pop.command('RETR 1'), /^\+OK/);
          const body = (await pop.multiline()).join('\r\n');
          assert.match(body, /Subject: test \d/);
          assert.match(await pop.command('QUIT'), /^\+OK/);
        } finally {
          pop.close();
        }
      }
    });

    it('refuses a wrong POP3 password', async () => {
      const pop = await Pop3.open(dovecot);
      try {
        assert.match(await pop.command(`USER ${USER}`), /^\+OK/);
        assert.match(await pop.command('PASS wrong'), /^-ERR/);
      } finally {
        pop.close();
      }
    });

    it('supports STLS on the plain POP3 port', async () => {
      const pop = await Pop3.open(dovecot);
      try {
        assert.match(await pop.command('CAPA'), /^\+OK/);
        assert.ok((await pop.multiline()).includes('STLS'));
      } finally {
        pop.close();
      }
    });

    it('accepts a good OAuth2 access token and refuses a bad one (IMAP)', async () => {
      const { uids } = await inboxUids(imapOptions(dovecot, { user: USER, accessToken: 'good-token' }));
      assert.deepEqual(uids, [1, 2, 3]);
      await assert.rejects(inboxUids(imapOptions(dovecot, { user: USER, accessToken: 'bad-token' })));
      // A good token for someone else is refused too (username_attribute must match the login).
      await assert.rejects(inboxUids(imapOptions(dovecot, { user: 'bob', accessToken: 'good-token' })));
      assert.ok(introspection.requests >= 3, 'Dovecot asked the introspection endpoint');
    });

    it('accepts XOAUTH2 over POP3 (AUTH XOAUTH2)', async () => {
      const sasl = (token: string): string =>
        Buffer.from(`user=${USER}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
      const good = await Pop3.open(dovecot);
      try {
        assert.match(await good.command(`AUTH XOAUTH2 ${sasl('good-token')}`), /^\+OK/);
        assert.match(await good.command('STAT'), /^\+OK 3 /);
      } finally {
        good.close();
      }
      const bad = await Pop3.open(dovecot);
      try {
        let answer = await bad.command(`AUTH XOAUTH2 ${sasl('bad-token')}`);
        // XOAUTH2 failure: a `+ <base64 error JSON>` challenge, answered with an empty line, then -ERR.
        if (answer.startsWith('+ ')) answer = await bad.command('');
        assert.match(answer, /^-ERR/);
      } finally {
        bad.close();
      }
    });

    it('appends over IMAP too', async () => {
      const uids = await appendViaImap(
        dovecot,
        'bob',
        'bobs-password',
        [message(10), message(11)],
        'Archive',
      );
      assert.deepEqual(uids, [1, 2]);
    });

    it('keeps the mail across restart()', async () => {
      await dovecot.restart();
      const newPid = Number(readFileSync(`${dovecot.dir}/run/master.pid`, 'utf8').trim());
      assert.notEqual(newPid, masterPid);
      const running = dovecotProcesses(dovecot.dir);
      assert.equal(running[0], newPid);
      assert.ok(running.length > 1, 'the master has its children (log, auth, login, ...)');
      masterPid = newPid;
      const { uids } = await inboxUids(imapOptions(dovecot, { user: USER, pass: PASSWORD }));
      assert.deepEqual(uids, [1, 2, 3]);
    });

    it('stop() leaves no process behind and removes the folder', async () => {
      const dir = dovecot.dir;
      const before = dovecotProcesses(dir);
      assert.ok(before.includes(masterPid));
      await dovecot.stop();
      assert.deepEqual(dovecotProcesses(dir), []);
      const alive = new Set(processes().map((p) => p.pid));
      assert.deepEqual(
        before.filter((pid) => alive.has(pid)),
        [],
        'master and children are gone',
      );
      assert.equal(existsSync(dir), false);
      await dovecot.stop(); // twice is fine
    });
  },
);
