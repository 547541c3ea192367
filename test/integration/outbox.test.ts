// The Outbound Manager through real intake: mail into a real `postroom start` over SMTP (or
// `postroom ingest`), answered by inbound actions, sent to a real SMTP sink (smtp-server on
// 127.0.0.1), on every backend. Queued answers arrive with our Message-ID, Date, threading and
// auto-reply headers; a forward attaches the original and a redirect resends it with Resent-*;
// SIGKILL between claim and send, and between send and mark, loses no answer and doubles none
// beyond the one re-send with the same Message-ID (and bytes); 451 is retried until accepted,
// 550 fails at once with the server's words in `outbox list --failed --json`; a copy of each
// sent mail lands in spool/sent, or in the IMAP Sent folder (Dovecot) of an IMAP mailbox.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { OutboxRow } from '../../src/core/outbound.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { haveDovecot, startDovecot, type RunningDovecot } from '../support/dovecot.ts';
import {
  backends,
  engineConfig,
  freePort,
  freshDatabaseUrl,
  mainTs,
  runCli,
  startEngine,
  tempDir,
  waitFor,
  writeConfig,
  type Backend,
  type EngineProcess,
} from '../support/engine.ts';

interface Received {
  raw: Buffer;
  /** lower-cased header name → unfolded value (the first of each name) */
  headers: Map<string, string>;
  rcptTo: string[];
}

type Refusal = { code: number; text: string } | null;

/** A real SMTP server: records each message it accepts; `rcpt` / `data` may refuse one. */
class Sink {
  readonly received: Received[] = [];
  readonly refused: string[] = [];
  port = 0;
  private readonly server: SMTPServer;

  constructor(
    refuse: { rcpt?: (address: string) => Refusal; data?: (headers: Map<string, string>) => Refusal } = {},
  ) {
    const refusal = (r: NonNullable<Refusal>): Error =>
      Object.assign(new Error(r.text), { responseCode: r.code });
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, callback) => {
        const r = refuse.rcpt?.(address.address) ?? null;
        if (r) this.refused.push(`${address.address} ${r.code}`);
        callback(r ? refusal(r) : undefined);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', () => undefined); // the sender died mid-message: nothing was received
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const headers = headersOf(raw);
          const r = refuse.data?.(headers) ?? null;
          if (r) {
            this.refused.push(`${headers.get('subject')} ${r.code}`);
            return callback(refusal(r));
          }
          this.received.push({ raw, headers, rcptTo: session.envelope.rcptTo.map((a) => a.address) });
          callback();
        });
      },
    });
  }

  async listen(): Promise<this> {
    // A sender killed mid-session resets its connection: expected here, not a test failure.
    this.server.on('error', () => undefined);
    this.port = await freePort();
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  bySubject(subject: string): Received[] {
    return this.received.filter((m) => m.headers.get('subject') === subject);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function headersOf(raw: Buffer): Map<string, string> {
  const end = raw.indexOf('\r\n\r\n');
  const block = raw
    .subarray(0, end < 0 ? raw.length : end)
    .toString('utf8')
    .replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    if (colon > 0 && !headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

const rfc5322Date = (ms: number): string => new Date(ms).toUTCString().replace('GMT', '+0000');

/** A customer's mail: `i` picks the sender (one answer each, well inside the loop limits). */
function question(
  tag: string,
  i: number,
  o: { subject?: string; to?: string; from?: string } = {},
): { raw: string; from: string; to: string; messageId: string } {
  const from = o.from ?? `customer${i}.${tag}@example.com`;
  const to = o.to ?? 'support@localhost';
  const messageId = `q${i}.${tag}@example.com`;
  const raw = [
    `From: Customer ${i} <${from}>`,
    `To: ${to}`,
    `Subject: ${o.subject ?? `Question ${i} (${tag})`}`,
    `Message-ID: <${messageId}>`,
    `References: <thread${i}.${tag}@example.com>`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, question ${i}.`,
    '.a line that starts with a dot',
    '',
  ].join('\r\n');
  return { raw, from, to, messageId };
}

// Every new mail is acknowledged; "[pass-on]" mail is forwarded and redirected instead.
const rules = [
  'rules:',
  '  inboundActions:',
  '    - name: pass-on',
  '      type: new',
  '      order: 10',
  '      when: { subject: { contains: "[pass-on]" } }',
  '      do: [{ createRecord: {} }, { forward: { to: colleague@example.com } }, { redirect: { to: tier2@example.com } }]',
  '      stopProcessing: true',
  '    - name: ack',
  '      type: new',
  '      order: 100',
  '      do: [{ createRecord: {} }, { reply: { template: "We got it: {{ record.number }}" } }]',
];

/** A `postroom start` answering mail, its outbox pointed at a sink; its store opened in the test too. */
class Setup {
  dir = tempDir('postroom-outbox-');
  dataDir = join(this.dir, 'data');
  config = '';
  port = 0;
  engine: EngineProcess | undefined;
  store!: Store;

  /** The engine is started unless `started: false` (the crash tests start their own). */
  static async start(backend: Backend, mailboxes: readonly string[], started = true): Promise<Setup> {
    const s = new Setup();
    s.port = await freePort();
    const url = await freshDatabaseUrl(backend);
    const base = engineConfig({ dataDir: s.dataDir, url, port: s.port })
      .split('\n')
      .filter((l) => !l.startsWith('runner:'));
    s.config = writeConfig(
      s.dir,
      [
        ...base,
        // Short leases and timeouts: the sender's lease is 4 × the outbound timeout (8 s here),
        // which is how long a crashed sender's rows wait before they are claimed again.
        'runner: { pollInterval: 50ms, leaseSeconds: 2s, backoff: { base: 1s, max: 5s } }',
        'outbox: { attempts: 4, base: 1s, max: 2s }',
        'mailboxes:',
        ...mailboxes,
        ...rules,
        '',
      ].join('\n'),
    );
    s.store = await openStore(url, s.dataDir);
    if (started) await s.restart();
    return s;
  }

  async restart(): Promise<void> {
    this.engine = await startEngine({ cwd: this.dir, config: this.config, port: this.port });
  }

  /** Over SMTP into the engine, as an MTA would. */
  async send(mail: { raw: string; from: string; to: string }): Promise<void> {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: this.port,
      secure: false,
      ignoreTLS: true,
    });
    try {
      const info = await transport.sendMail({ envelope: { from: mail.from, to: [mail.to] }, raw: mail.raw });
      assert.match(info.response, /^250 /);
    } finally {
      transport.close();
    }
  }

  rows(): Promise<OutboxRow[]> {
    return this.store.outbox.list({ limit: 1000 });
  }

  /** Waits until `count` rows exist and every one is sent or failed. */
  async settled(count: number, ms = 40_000): Promise<OutboxRow[]> {
    let rows: OutboxRow[] = [];
    await waitFor(
      async () => {
        rows = await this.rows();
        return rows.length === count && rows.every((r) => r.state === 'sent' || r.state === 'failed');
      },
      ms,
      `${count} outbox rows to be sent or failed (have ${rows.map((r) => r.state).join(', ')})`,
    );
    return rows.sort((a, b) => a.id - b.id);
  }

  /** `postroom start` with POSTROOM_CRASH_AT until it kills itself there; resolves with its log. */
  crashAt(point: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [mainTs, 'start', '-c', this.config], {
        cwd: this.dir,
        env: { ...process.env, POSTROOM_CRASH_AT: point },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr.on('data', (c: Buffer) => (log += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', (_code, signal) => {
        clearTimeout(timer);
        if (signal === 'SIGKILL' && !log.includes('"msg":"stopped"')) resolve(log);
        else reject(new Error(`the engine did not kill itself at ${point}:\n${log}`));
      });
    });
  }

  cli(...args: string[]) {
    return runCli(['-c', this.config, ...args], { cwd: this.dir });
  }

  async close(): Promise<void> {
    await this.engine?.kill();
    await this.store?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const outbound = (sink: Sink): string =>
  `    outbound: { host: 127.0.0.1, port: ${sink.port}, tls: false, timeout: 2s, name: Support Desk }`;
const quiet = ['    trust: { mode: off }', '    loopbackDetectionInterval: 0'];
const support = (sink: Sink): string[] => ['  - address: support@localhost', ...quiet, outbound(sink)];

/** Each answer exactly once, or twice as one recognisable re-send: same Message-ID, same bytes. */
function assertDelivered(sink: Sink, rows: readonly OutboxRow[], allowResend: boolean): number {
  let resent = 0;
  for (const row of rows) {
    const copies = sink.bySubject(row.mail.subject);
    assert.ok(copies.length >= 1, `${row.mail.subject} never arrived`);
    assert.ok(copies.length <= (allowResend ? 2 : 1), `${row.mail.subject} arrived ${copies.length} times`);
    for (const copy of copies) assert.equal(copy.headers.get('message-id'), `<${row.messageId}>`);
    if (copies.length === 2) {
      resent += 1;
      assert.deepEqual(copies[1]?.raw, copies[0]?.raw, 'a re-send is byte-identical to the first copy');
    }
  }
  return resent;
}

for (const backend of backends()) {
  describe(`outbox sender through real intake (${backend})`, () => {
    it('sends answers with our Message-ID, Date, threading and auto-reply headers; forwards, redirects; copies to spool/sent', async () => {
      const sink = await new Sink().listen();
      const s = await Setup.start(backend, [...support(sink), '  - address: noserver@localhost', ...quiet]);
      try {
        const questions = [1, 2, 3, 4].map((i) => question('a', i));
        const passOn = question('a', 5, { subject: 'Printer on fire [pass-on]' });
        const homeless = question('a', 6, { to: 'noserver@localhost' });
        for (const q of [...questions, passOn, homeless]) await s.send(q);
        const rows = await s.settled(7);

        const answers = rows.filter((r) => r.kind === 'reply' && r.mailbox === 'support@localhost');
        assert.equal(answers.length, 4);
        for (const q of questions) {
          const row = answers.find((r) => r.recipient === q.from);
          assert.ok(row, `an answer to ${q.from} was queued`);
          const [got] = sink.bySubject(row.mail.subject);
          assert.ok(got, `${row.mail.subject} arrived`);
          const h = got.headers;
          assert.equal(h.get('message-id'), `<${row.messageId}>`);
          assert.equal(h.get('date'), rfc5322Date(row.mail.date));
          assert.equal(h.get('in-reply-to'), `<${q.messageId}>`);
          assert.equal(h.get('references'), `<${q.messageId.replace(/^q/, 'thread')}> <${q.messageId}>`);
          assert.equal(h.get('auto-submitted'), 'auto-replied');
          assert.equal(h.get('x-auto-response-suppress'), 'All');
          assert.match(h.get('x-postroom-record') ?? '', /^CASE\d{7}$/);
          assert.equal(h.get('from'), 'Support Desk <support@localhost>');
          assert.deepEqual(got.rcptTo, [q.from]);
          assert.match(got.raw.toString(), new RegExp(`We got it: ${h.get('x-postroom-record')}`));
        }
        assertDelivered(sink, answers, false);

        const original = Buffer.from(passOn.raw);
        const forward = rows.find((r) => r.kind === 'forward');
        const [fwd, ...moreFwd] = sink.bySubject(forward?.mail.subject ?? '-');
        assert.ok(fwd && moreFwd.length === 0, 'the forward arrived once');
        assert.equal(fwd.headers.get('message-id'), `<${forward?.messageId}>`);
        assert.deepEqual(fwd.rcptTo, ['colleague@example.com']);
        assert.match(fwd.raw.toString(), /Content-Type: message\/rfc822/i);
        assert.ok(fwd.raw.includes(original), 'the original is attached unchanged');

        const redirect = rows.find((r) => r.kind === 'redirect');
        const [red, ...moreRed] = sink.received.filter(
          (m) => m.headers.get('resent-message-id') === `<${redirect?.messageId}>`,
        );
        assert.ok(red && moreRed.length === 0, 'the redirect arrived once');
        assert.deepEqual(red.rcptTo, ['tier2@example.com'], 'a redirect goes to its new recipient only');
        assert.deepEqual(
          red.raw.subarray(red.raw.length - original.length),
          original,
          'the original bytes follow the Resent-* block',
        );
        assert.match(
          red.raw.toString(),
          /^Resent-From: Support Desk <support@localhost>\r\nResent-To: tier2@example.com\r\nResent-Date: .+\r\nResent-Message-ID: <[^>]+>\r\n/,
        );
        assert.equal(
          red.headers.get('message-id'),
          `<${passOn.messageId}>`,
          'the original keeps its own Message-ID',
        );

        const failed = rows.find((r) => r.mailbox === 'noserver@localhost');
        assert.equal(failed?.state, 'failed');
        assert.match(failed?.lastError ?? '', /mailboxes\[1\]\.outbound is not set/);
        assert.equal(sink.received.length, 6, 'nothing else was sent');

        for (const row of rows.filter((r) => r.state === 'sent')) {
          const got = sink.received.find(
            (m) =>
              m.headers.get('message-id') === `<${row.messageId}>` ||
              m.headers.get('resent-message-id') === `<${row.messageId}>`,
          );
          const file = join(s.dataDir, 'spool', 'sent', `${row.id}.eml`);
          await waitFor(() => existsSync(file), 5_000, file);
          assert.deepEqual(readFileSync(file), got?.raw, 'the spool/sent copy is the mail as sent');
        }
        const listed = JSON.parse((await s.cli('outbox', 'list', '--json')).stdout) as { state: string }[];
        assert.deepEqual(listed.map((r) => r.state).sort(), [
          'failed',
          'sent',
          'sent',
          'sent',
          'sent',
          'sent',
          'sent',
        ]);
        assert.match((await s.cli('outbox', 'list', '--state', 'failed')).stdout, /noserver@localhost/);
        const wrong = await s.cli('outbox', 'list', '--state', 'lost');
        assert.notEqual(wrong.code, 0);
        assert.match(wrong.stderr, /queued, sending, sent, failed/);
        assert.equal(await s.engine?.stop(), 0, 'SIGTERM drains the sender and exits 0');
      } finally {
        await s.close();
        await sink.close();
      }
    });

    it("retries a 451 until the server accepts; a 550 fails at once with the server's answer in outbox list --failed", async () => {
      let greylisted = 0;
      const sink = await new Sink({
        rcpt: (address) =>
          address === 'nobody@example.com'
            ? { code: 550, text: '5.1.1 <nobody@example.com>: Recipient address rejected: User unknown' }
            : null,
        data: (h) =>
          h.get('subject')?.includes('greylist') && (greylisted += 1) <= 2
            ? { code: 451, text: '4.7.1 Greylisted, please try again later' }
            : null,
      }).listen();
      const s = await Setup.start(backend, support(sink));
      try {
        await s.send(question('r', 1, { from: 'later@example.com', subject: 'greylist me' }));
        const [sent] = await s.settled(1);
        await s.send(question('r', 2, { from: 'nobody@example.com' }));
        const [, failed] = await s.settled(2);
        assert.equal(sent?.state, 'sent');
        assert.equal(sent?.attempts, 3, 'two 451s, then accepted');
        assert.equal(sink.bySubject(sent?.mail.subject ?? '-').length, 1);
        assert.equal(sink.refused.filter((r) => r.endsWith('451')).length, 2);

        assert.equal(failed?.state, 'failed');
        assert.equal(failed?.attempts, 1, 'a permanent answer is not retried');
        const listed = JSON.parse((await s.cli('outbox', 'list', '--failed', '--json')).stdout) as {
          id: number;
          lastError: string;
          to: string[];
        }[];
        assert.equal(listed.length, 1);
        assert.equal(listed[0]?.id, failed?.id);
        assert.deepEqual(listed[0]?.to, ['nobody@example.com']);
        assert.match(
          listed[0]?.lastError ?? '',
          /^550 5\.1\.1 <nobody@example\.com>: Recipient address rejected: User unknown/,
        );
      } finally {
        await s.close();
        await sink.close();
      }
    });

    for (const point of ['outbox:after-claim', 'outbox:after-send'] as const) {
      it(`survives SIGKILL at ${point}: every answer arrives, none twice but the one re-send with the same Message-ID`, async (t) => {
        const sink = await new Sink().listen();
        const s = await Setup.start(backend, support(sink), false);
        try {
          // Taken in by `postroom ingest` while no engine runs; the engine answers them at start.
          const inbox = join(s.dir, 'inbox');
          mkdirSync(inbox);
          const tag = point.replace(':', '-');
          const questions = Array.from({ length: 12 }, (_, i) => question(tag, i + 1));
          questions.forEach((q, i) => writeFileSync(join(inbox, `${i + 1}.eml`), q.raw));
          assert.equal((await s.cli('ingest', inbox, '--mailbox', 'support@localhost')).code, 0);

          await s.crashAt(point);
          const before = await s.rows();
          assert.ok(
            before.some((r) => r.state === 'sending'),
            'the crash left a row claimed',
          );
          if (point === 'outbox:after-claim') assert.equal(sink.received.length, 0, 'killed before any send');
          else assert.ok(sink.received.length >= 1, 'killed after a send, before its mark');
          const atSinkBeforeRestart = new Set(sink.received.map((m) => m.headers.get('message-id')));

          await s.restart();
          const rows = await s.settled(questions.length);
          assert.ok(rows.every((r) => r.state === 'sent'));
          assert.deepEqual(
            new Set(rows.map((r) => r.recipient)),
            new Set(questions.map((q) => q.from)),
            'one answer per question',
          );
          const resent = assertDelivered(sink, rows, point === 'outbox:after-send');
          if (point === 'outbox:after-send') {
            assert.ok(resent >= 1, 'the mail sent but not marked went out again');
            // Only a mail already at the sink before the restart may arrive a second time.
            for (const row of rows)
              if (sink.bySubject(row.mail.subject).length === 2)
                assert.ok(atSinkBeforeRestart.has(`<${row.messageId}>`));
          }
          t.diagnostic(
            `${point}: ${before.filter((r) => r.state === 'sending').length} row(s) claimed at the crash, ${atSinkBeforeRestart.size} at the sink; ${rows.length} answers, ${resent} re-sent`,
          );
        } finally {
          await s.close();
          await sink.close();
        }
      });
    }
  });
}

describe(
  'outbox sender: Sent folder copy by IMAP APPEND (sqlite, Dovecot)',
  { skip: (await haveDovecot()) ? false : 'Dovecot is not installed (npm test installs it)' },
  () => {
    let dovecot: RunningDovecot;
    before(async () => {
      dovecot = await startDovecot();
      await dovecot.addUser('sentuser', 'pw');
    });
    after(async () => {
      await dovecot?.stop();
    });

    it("APPENDs each sent mail to the mailbox's Sent folder, flagged \\Seen, instead of spool/sent", async () => {
      const sink = await new Sink().listen();
      const s = await Setup.start('sqlite', [
        '  - address: imapdesk@localhost',
        '    connector: imap',
        `    server: { host: 127.0.0.1, port: ${dovecot.imapPort}, tls: false, user: sentuser, password: pw, timeout: 10s }`,
        '    pollingInterval: 1h',
        '    sentFolder: Sent',
        ...quiet,
        outbound(sink),
      ]);
      const client = new ImapFlow({
        host: '127.0.0.1',
        port: dovecot.imapPort,
        secure: false,
        doSTARTTLS: false,
        auth: { user: 'sentuser', pass: 'pw' },
        logger: false,
      });
      try {
        for (const i of [1, 2]) await s.send(question('imap', i, { to: 'imapdesk@localhost' }));
        const rows = await s.settled(2);
        assert.ok(rows.every((r) => r.state === 'sent'));
        await client.connect();
        let copies: { source: Buffer; flags: Set<string> }[] = [];
        await waitFor(
          async () => {
            const box = await client.status('Sent', { messages: true }).catch(() => null);
            if (!box || box.messages !== 2) return false;
            const lock = await client.getMailboxLock('Sent');
            try {
              copies = [];
              for await (const m of client.fetch('1:*', { source: true, flags: true }))
                copies.push({ source: m.source ?? Buffer.alloc(0), flags: m.flags ?? new Set() });
            } finally {
              lock.release();
            }
            return true;
          },
          10_000,
          'two copies in Sent',
        );
        for (const row of rows) {
          const [got] = sink.bySubject(row.mail.subject);
          const copy = copies.find((c) => headersOf(c.source).get('message-id') === `<${row.messageId}>`);
          assert.ok(copy, `${row.messageId} is in Sent`);
          assert.ok(copy.flags.has('\\Seen'));
          assert.deepEqual(copy.source, got?.raw, 'the Sent copy is the mail as sent');
          assert.equal(
            existsSync(join(s.dataDir, 'spool', 'sent', `${row.id}.eml`)),
            false,
            'no spool/sent copy for an IMAP mailbox',
          );
        }
        assert.equal(await s.engine?.stop(), 0, 'SIGTERM closes the Sent folder connection and exits 0');
      } finally {
        await client.logout().catch(() => undefined);
        await s.close();
        await sink.close();
      }
    });
  },
);
