// Outbox drain rate (issue 6): N answers queued in a fresh SQLite store, drained by the
// OutboxSender that `postroom start` runs (claim, compose, SMTP, mark sent, spool/sent copy) into
// a local smtp-server sink, against bare nodemailer sending the same N mails to the same sink:
// one after the other over one connection (a plain loop), and with the sender's concurrency.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { configSchema } from '../../src/config/schema.ts';
import type { OutgoingMail } from '../../src/core/outbound.ts';
import { IN_FLIGHT, OutboxSender } from '../../src/outbound/outbox-sender.ts';
import { composeOutgoing } from '../../src/outbound/outgoing-mime.ts';
import { CONNECTIONS_PER_SERVER } from '../../src/outbound/smtp-transports.ts';
import { openBlobs } from '../../src/store/blobs/tiered-blobs.ts';
import { openStore } from '../../src/store/open-store.ts';
import { median } from './stats.ts';

export interface OutboxFigures {
  mails: number;
  bytes: number;
  connections: number;
  inFlight: number;
  /** mails/s, medians of the rounds */
  loop: number;
  pooled: number;
  ours: number;
  rounds: number;
}

async function startSink(): Promise<{ port: number; count: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        received += 1;
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    count: () => received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Short automatic answers, as the `ack` inbound action queues them. */
function answers(n: number): OutgoingMail[] {
  return Array.from({ length: n }, (_, i) => ({
    from: { address: 'support@bench.example', name: 'Support Desk' },
    to: [`customer${i}@example.com`],
    cc: [],
    subject: `Re: Printer on floor ${i % 7} is jammed again [CASE${String(i).padStart(7, '0')}]`,
    text: `We got it: CASE${String(i).padStart(7, '0')}.\n\nOur team answers within one working day.\n\n[ref:${i.toString(36)}]\n`,
    html: null,
    messageId: `bench.${i}.${Date.now()}@postroom.localhost`,
    date: Date.now(),
    inReplyTo: `q${i}@example.com`,
    references: [`q${i}@example.com`],
    headers: {
      'Auto-Submitted': 'auto-replied',
      'X-Auto-Response-Suppress': 'All',
      'X-Postroom-Record': `CASE${String(i).padStart(7, '0')}`,
    },
    attachOriginal: null,
    resendOriginal: null,
  }));
}


/** Bare nodemailer: a pooled transport, `concurrency` loops each awaiting its sendMail. */
async function bareRate(
  port: number,
  mails: readonly OutgoingMail[],
  connections: number,
  concurrency: number,
): Promise<number> {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: connections,
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
  });
  let next = 0;
  const start = performance.now();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < mails.length) {
          const m = mails[next++]!;
          await transport.sendMail({
            from: m.from,
            to: m.to,
            subject: m.subject,
            text: m.text,
            messageId: `<${m.messageId}>`,
            date: new Date(m.date),
            inReplyTo: `<${m.inReplyTo}>`,
            references: m.references.map((id) => `<${id}>`),
            headers: m.headers,
          });
        }
      }),
    );
    return mails.length / ((performance.now() - start) / 1000);
  } finally {
    transport.close();
  }
}

/** Ours: the rows are queued beforehand (not timed); timed from the sender's start to its last mark. */
async function senderRate(
  port: number,
  mails: readonly OutgoingMail[],
  count: () => number,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'postroom-bench-outbox-'));
  // As `postroom start` opens it for the sender: the intake connection (synchronous = FULL).
  const store = await openStore('', dir);
  try {
    const now = Date.now();
    for (let i = 0; i < mails.length; i += 1000) {
      await store.transaction(async (tx) => {
        for (const [j, mail] of mails.slice(i, i + 1000).entries()) {
          const row = {
            messageRef: null,
            seq: i + j,
            recordId: null,
            mailbox: 'support@bench.example',
            kind: 'reply',
            automatic: true,
          };
          await tx.enqueueMail(
            {
              ...row,
              recipient: mail.to[0] ?? '',
              messageId: `${mail.messageId}.${now}`,
              mail: { ...mail, messageId: `${mail.messageId}.${now}` },
              createdAt: now,
            },
            now,
          );
        }
      });
    }
    const config = configSchema.parse({
      dataDir: dir,
      mailboxes: [
        {
          address: 'support@bench.example',
          outbound: { host: '127.0.0.1', port, tls: false, timeout: '30s' },
        },
      ],
    });
    const sender = new OutboxSender({
      outbox: store.outbox,
      blobs: openBlobs(dir, store),
      config,
      owner: 'bench',
      log: pino({ level: 'silent' }),
      now: Date.now,
      env: {},
    });
    const before = count();
    const start = performance.now();
    sender.start();
    while (count() - before < mails.length) await new Promise((r) => setTimeout(r, 2));
    await sender.stop(); // the last markSent commits before stop returns
    const seconds = (performance.now() - start) / 1000;
    const sent = await store.outbox.list({ state: 'sent', limit: mails.length + 1 });
    if (sent.length !== mails.length) throw new Error(`only ${sent.length} of ${mails.length} marked sent`);
    return mails.length / seconds;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Alternating rounds of the bare loops and ours (the machine is noisy); medians. */
export async function measureOutbox(count: number, rounds = 3): Promise<OutboxFigures> {
  const sink = await startSink();
  try {
    const mails = answers(count);
    await bareRate(sink.port, mails.slice(0, 100), CONNECTIONS_PER_SERVER, IN_FLIGHT); // warm-up: JIT
    const loop: number[] = [];
    const pooled: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      loop.push(await bareRate(sink.port, mails, 1, 1));
      // as many sends at once, over as many connections, as the sender uses
      pooled.push(await bareRate(sink.port, mails, CONNECTIONS_PER_SERVER, IN_FLIGHT));
      ours.push(await senderRate(sink.port, mails, sink.count));
    }
    const sample = mails[0]!;
    return {
      mails: count,
      bytes: (
        await composeOutgoing(sample, () => {
          throw new Error('no blobs');
        })
      ).raw.length,
      connections: CONNECTIONS_PER_SERVER,
      inFlight: IN_FLIGHT,
      loop: median(loop),
      pooled: median(pooled),
      ours: median(ours),
      rounds,
    };
  } finally {
    await sink.close();
  }
}
