// Webhook delivery rate (issue 6): N events queued in a fresh SQLite store, drained by the
// WebhookSender that `postroom start` runs (claim, sign, POST, settle) into a local node:http
// receiver answering 204, against a bare fetch POST loop of the same bodies at the same concurrency.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { Config } from '../../src/config/schema.ts';
import { DEFAULT_WEBHOOK_CONCURRENCY, WebhookSender } from '../../src/outbound/webhooks/webhook-sender.ts';
import { openBlobs } from '../../src/store/blobs/tiered-blobs.ts';
import { openStore } from '../../src/store/open-store.ts';

export interface WebhookFigures {
  events: number;
  concurrency: number;
  bodyBytes: number;
  /** events/s, median of the rounds */
  bare: number;
  ours: number;
  rounds: number;
}

/** A receiver that reads each body and answers 204, counting requests. */
async function startReceiver(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    count: () => received,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Event bodies about the size apply writes for a short support mail without attachments. */
function eventBodies(n: number): { eventId: string; body: string }[] {
  return Array.from({ length: n }, (_, i) => {
    const eventId = `evt_bench_${i}`;
    const body = JSON.stringify({
      event: 'message.settled',
      eventId,
      message: {
        subject: `Printer on floor ${i % 7} is jammed again`,
        from: [{ address: `user${i}@customer.example`, name: `User ${i}` }],
        to: [{ address: 'support@example.com', name: '' }],
        text: 'Hello,\n\nthe printer on our floor shows paper jam again after the last visit. '.repeat(12),
        attachments: [],
      },
      class: 'general',
      category: 'new',
      record: `CASE${String(i).padStart(7, '0')}`,
    });
    return { eventId, body };
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

/** The bare client: `concurrency` loops POSTing the bodies with fetch, each answer read. */
async function bareRate(url: string, bodies: readonly string[], concurrency: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.arrayBuffer();
        if (response.status !== 204) throw new Error(`receiver answered ${response.status}`);
      }
    }),
  );
  return bodies.length / ((performance.now() - start) / 1000);
}

/** Ours: the rows are queued beforehand (not timed); timed from the sender's start to its last settle. */
async function senderRate(url: string, events: readonly { eventId: string; body: string }[], concurrency: number, count: () => number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'postroom-bench-webhooks-'));
  const store = await openStore('', dir);
  try {
    const now = Date.now();
    for (let i = 0; i < events.length; i += 1000) {
      await store.transaction(async (tx) => {
        for (const e of events.slice(i, i + 1000))
          await tx.enqueueWebhook({ eventId: e.eventId, messageRef: null, endpoint: 'bench', url, body: e.body, createdAt: now }, now);
      });
    }
    const webhooks: Config['webhooks'] = {
      endpoints: { bench: { url, secret: 'bench-secret-0123456789', inlineAttachmentsUpTo: 262_144, attachmentLink: '', timeout: 10_000 } },
      schedule: [0, 1000],
    };
    const sender = new WebhookSender({
      queue: store.webhooks,
      blobs: openBlobs(dir, store),
      webhooks,
      pollInterval: 500, // the default runner.pollInterval
      concurrency,
      owner: 'bench',
      log: pino({ level: 'silent' }),
      now: Date.now,
    });
    const before = count();
    const start = performance.now();
    sender.start();
    while (count() - before < events.length) await new Promise((r) => setTimeout(r, 2));
    await sender.stop(); // the last markDelivered commits before stop returns
    const seconds = (performance.now() - start) / 1000;
    const delivered = await store.webhooks.list({ state: 'delivered', limit: events.length + 1 });
    if (delivered.length !== events.length) throw new Error(`only ${delivered.length} of ${events.length} marked delivered`);
    return events.length / seconds;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Alternating rounds of bare and ours (the machine is noisy); medians. */
export async function measureWebhooks(events: number, rounds = 3, concurrency = DEFAULT_WEBHOOK_CONCURRENCY): Promise<WebhookFigures> {
  const receiver = await startReceiver();
  try {
    const bodies = eventBodies(events);
    const bare: number[] = [];
    const ours: number[] = [];
    await bareRate(receiver.url, bodies.slice(0, 200).map((b) => b.body), concurrency); // warm-up: connections, JIT
    for (let round = 0; round < rounds; round += 1) {
      bare.push(await bareRate(receiver.url, bodies.map((b) => b.body), concurrency));
      ours.push(await senderRate(receiver.url, bodies, concurrency, receiver.count));
    }
    return {
      events,
      concurrency,
      bodyBytes: Math.round(bodies.reduce((sum, b) => sum + b.body.length, 0) / events),
      bare: median(bare),
      ours: median(ours),
      rounds,
    };
  } finally {
    await receiver.close();
  }
}
