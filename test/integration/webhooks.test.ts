// Signed webhooks through a real `postroom start` and a real HTTP receiver (node:http on
// 127.0.0.1), on every backend: retries until a 2xx, once per idempotency key; dead-letter,
// `webhooks list --failed` and `webhooks replay`; the README's verification snippet; inline
// attachments; an endpoint removed from the configuration. Events come from real intake: mail sent
// over SMTP to a mailbox with `webhooks: [NAME]`, processed, its event queued by apply.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { backends, root, tempDir, waitFor } from '../support/engine.ts';
import { EngineSession } from '../support/engine-session.ts';

/** `postroom webhooks list --json`: the fields tests read. */
interface ListedDelivery {
  id: number;
  eventId: string;
  message: number | null;
  endpoint: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** what the receiver answered; null when it never did */
  status: number | null;
}

type Verify = (secret: string, headers: IncomingHttpHeaders, rawBody: Buffer | string, now?: number) => boolean;

/**
 * A webhook receiver: /flaky answers 500 to the first 3 tries of each event, then 204; /down
 * answers 503 until `heal()`; /slow never answers; /ok answers 204. Every request is kept.
 */
class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private healed = false;
  private readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        const key = String(req.headers['idempotency-key']);
        const seen = this.requests.filter((r) => r.path === path && r.headers['idempotency-key'] === key).length;
        const request: ReceivedRequest = { path, headers: req.headers, body: Buffer.concat(chunks), status: null };
        this.requests.push(request);
        if (path === '/slow') return; // the sender's timeout ends it
        request.status = path === '/flaky' ? (seen < 3 ? 500 : 204) : path === '/down' ? (this.healed ? 200 : 503) : 204;
        res.writeHead(request.status, { 'content-type': 'text/plain' }).end(request.status >= 300 ? 'receiver says no' : undefined);
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  heal(): void {
    this.healed = true;
  }

  /** Requests of one event (by Idempotency-Key). */
  of(key: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.headers['idempotency-key'] === key);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections(); // /slow requests are still open
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The README's verification snippet, written to a module as a reader would paste it. */
async function readmeVerifier(dir: string): Promise<Verify> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /<!-- webhook-verify:start -->\s*```js\n([\s\S]*?)```\s*<!-- webhook-verify:end -->/.exec(readme);
  assert.ok(block?.[1], 'README.md has a ```js block between the webhook-verify markers');
  const file = join(dir, 'verify-snippet.mjs');
  writeFileSync(file, `${block[1]}\nexport { verifyPostroomSignature };\n`);
  const module = (await import(pathToFileURL(file).href)) as { verifyPostroomSignature: Verify };
  return module.verifyPostroomSignature;
}

const secrets = {
  flaky: 'flaky-secret-0123456789',
  down: 'down-secret-0123456789',
  slow: 'slow-secret-0123456789',
  ok: 'ok-secret-0123456789abc',
};

for (const backend of backends()) {
  describe(`signed webhooks through postroom start and a real receiver (${backend})`, () => {
    const receiver = new Receiver();
    let session: EngineSession;
    let store: Store;
    let verify: Verify;
    const snippetDir = tempDir();

    const list = async (...args: string[]): Promise<ListedDelivery[]> => {
      const result = await session.cli('webhooks', 'list', '--json', ...args);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as ListedDelivery[];
    };
    const delivery = async (eventId: string): Promise<ListedDelivery | undefined> =>
      (await list()).find((d) => d.eventId === eventId);
    const waitForState = async (eventId: string, state: string, ms = 20_000): Promise<ListedDelivery> => {
      let found: ListedDelivery | undefined;
      await waitFor(async () => (found = await delivery(eventId))?.state === state, ms, `event ${eventId} to be ${state}`);
      return found!;
    };
    /**
     * Sends a mail over SMTP to `NAME@localhost` (a mailbox with `webhooks: [NAME]`), waits until it
     * is processed and apply has queued its event; returns the event id.
     */
    const mailEvent = async (endpoint: keyof typeof secrets, o: { subject?: string; attachments?: { filename: string; content: Buffer }[] } = {}): Promise<string> => {
      const messageId = `${randomUUID()}@webhooks.test`;
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: session.port, secure: false, ignoreTLS: true });
      try {
        await transport.sendMail({
          envelope: { from: 'ann@customer.example', to: [`${endpoint}@localhost`] },
          from: 'Ann <ann@customer.example>',
          to: `${endpoint}@localhost`,
          subject: o.subject ?? `Printer jammed (${endpoint})`,
          messageId: `<${messageId}>`,
          text: 'The printer on floor 3 is jammed again.',
          ...(o.attachments ? { attachments: o.attachments } : {}),
        });
      } finally {
        transport.close();
      }
      const settled = await session.settled(messageId);
      assert.equal(settled.state, 'processed');
      let found: ListedDelivery | undefined;
      await waitFor(async () => (found = (await list()).find((d) => d.message === settled.id && d.endpoint === endpoint)) !== undefined, 10_000, `the webhook event of message ${settled.id}`);
      return found!.eventId;
    };
    /**
     * Queues an event directly, as apply does, in a store transaction. Only for an endpoint that
     * is no longer configured: no mailbox can name it, so intake cannot queue it.
     */
    const queueEvent = async (endpoint: string): Promise<string> => {
      const eventId = `evt_${randomUUID()}`;
      const body = JSON.stringify({ event: 'message.settled', eventId, endpoint, message: { subject: `to ${endpoint}`, attachments: [] } });
      const now = Date.now();
      await store.transaction((tx) =>
        tx.enqueueWebhook({ eventId, messageRef: null, endpoint, url: `http://127.0.0.1:${receiver.port}/${endpoint}`, body, createdAt: now }, now),
      );
      return eventId;
    };

    before(async () => {
      await receiver.listen();
      const endpoint = (name: keyof typeof secrets, extra = '') =>
        `    ${name}: { url: "http://127.0.0.1:${receiver.port}/${name}", secret: ${secrets[name]}${extra} }`;
      session = await EngineSession.start(backend, [
        'webhooks:',
        '  schedule: [0s, 200ms, 200ms, 200ms, 200ms]',
        '  endpoints:',
        endpoint('flaky'),
        endpoint('down'),
        endpoint('slow', ', timeout: 300ms'),
        endpoint('ok', ', inlineAttachmentsUpTo: 1KB, attachmentLink: "https://postroom.test/blobs/{sha256}?m={messageId}"'),
        'mailboxes:',
        ...Object.keys(secrets).map((name) => `  - { address: ${name}@localhost, trust: { mode: off }, webhooks: [${name}] }`),
      ]);
      store = await openStore(session.url, join(session.dir, 'data'));
      verify = await readmeVerifier(snippetDir);
    });

    after(async () => {
      await store?.close();
      await session?.close();
      await receiver.close();
      rmSync(snippetDir, { recursive: true, force: true });
    });

    it('a receiver that fails the first 3 tries gets the event on the 4th, delivered once by its idempotency key', async () => {
      const eventId = await mailEvent('flaky');
      const done = await waitForState(eventId, 'delivered');
      const tries = receiver.of(eventId);
      assert.deepEqual(tries.map((r) => r.status), [500, 500, 500, 204]);
      assert.equal(tries.filter((r) => r.status !== null && r.status < 300).length, 1, 'exactly one 2xx for the key');
      assert.deepEqual(tries.map((r) => r.headers['postroom-attempt']), ['1', '2', '3', '4']);
      for (const r of tries) {
        assert.equal(r.headers['postroom-event-id'], eventId);
        assert.equal(r.headers['content-type'], 'application/json');
        assert.equal(r.headers['user-agent'], 'postroom');
        assert.match(String(r.headers['postroom-signature']), /^v1=[0-9a-f]{64}$/);
      }
      assert.equal(done.attempts, 4);
      assert.equal(done.lastStatus, 204);
      // Nothing more arrives for it once delivered.
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(receiver.of(eventId).length, 4);
    });

    it('a receiver that never answers 2xx ends in dead-letter, listed by --failed; replay delivers it with the same key', async () => {
      const eventId = await mailEvent('down');
      const dead = await waitForState(eventId, 'dead');
      assert.equal(dead.attempts, 5, 'one try per schedule entry');
      assert.equal(dead.lastStatus, 503);
      assert.match(dead.lastError ?? '', /gave up after 5 tries.*HTTP 503: receiver says no/);
      assert.deepEqual(receiver.of(eventId).map((r) => r.status), [503, 503, 503, 503, 503]);
      const failed = await list('--failed');
      assert.ok(failed.some((d) => d.eventId === eventId && d.state === 'dead'), '--failed lists the dead letter');
      assert.ok(failed.every((d) => d.state === 'dead'));
      const table = await session.cli('webhooks', 'list', '--failed');
      assert.match(table.stdout, new RegExp(`${dead.id}\\s+down\\s+dead\\s+5\\s+503`));

      receiver.heal();
      const replay = await session.cli('webhooks', 'replay', String(dead.id));
      assert.equal(replay.code, 0, replay.stderr);
      assert.match(replay.stdout, new RegExp(`webhook delivery ${dead.id} \\(event ${eventId}\\) queued again for down`));
      const delivered = await waitForState(eventId, 'delivered');
      assert.equal(delivered.id, dead.id);
      assert.equal(delivered.lastStatus, 200);
      const last = receiver.of(eventId).at(-1)!;
      assert.equal(last.status, 200);
      assert.equal(last.headers['idempotency-key'], eventId, 'the replay keeps the idempotency key');
      assert.equal(last.headers['postroom-attempt'], '1', 'a replay starts the schedule over');
      assert.ok(!(await list('--failed')).some((d) => d.eventId === eventId));
    });

    it('a receiver that never answers within the timeout ends in dead-letter with the timeout named', async () => {
      const eventId = await mailEvent('slow');
      const dead = await waitForState(eventId, 'dead');
      assert.equal(dead.attempts, 5);
      assert.equal(dead.lastStatus, null);
      assert.match(dead.lastError ?? '', /no answer within 300 ms \(webhooks\.endpoints\.slow\.timeout\)/);
      assert.equal(receiver.of(eventId).length, 5);
    });

    it("every request verifies with the README's snippet, and a tampered body, another secret or an old timestamp does not", async () => {
      const eventId = await mailEvent('ok', { subject: 'Ünïcode ✓ subject' });
      await waitForState(eventId, 'delivered');
      assert.ok(receiver.requests.length >= 10);
      for (const r of receiver.requests) {
        const secret = secrets[r.path.slice(1) as keyof typeof secrets];
        assert.equal(verify(secret, r.headers, r.body), true, `${r.path} attempt ${String(r.headers['postroom-attempt'])} verifies`);
      }
      const [r] = receiver.of(eventId);
      assert.ok(r);
      assert.equal((JSON.parse(r.body.toString('utf8')) as { message: { subject: string } }).message.subject, 'Ünïcode ✓ subject');
      const tampered = Buffer.from(r.body.toString('utf8').replace('Ünïcode', 'Unicode'));
      assert.equal(verify(secrets.ok, r.headers, tampered), false, 'a tampered body fails');
      assert.equal(verify(secrets.flaky, r.headers, r.body), false, 'another secret fails');
      const signedAt = Number(r.headers['postroom-timestamp']) * 1000;
      assert.equal(verify(secrets.ok, r.headers, r.body, signedAt + 6 * 60_000), false, 'older than 5 minutes fails');
      assert.equal(verify(secrets.ok, { ...r.headers, 'postroom-timestamp': String(Number(r.headers['postroom-timestamp']) + 1) }, r.body), false, 'a changed timestamp fails');
    });

    it('an attachment under the inline limit arrives base64 with its exact bytes; a larger one gets the link', async () => {
      const small = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 7) % 256));
      const large = Buffer.alloc(4096, 0x41);
      const eventId = await mailEvent('ok', {
        attachments: [
          { filename: 'small.bin', content: small },
          { filename: 'large.bin', content: large },
        ],
      });
      await waitForState(eventId, 'delivered');
      const [r] = receiver.of(eventId);
      assert.ok(r);
      assert.equal(verify(secrets.ok, r.headers, r.body), true, 'the signature covers the body with the inlined content');
      const doc = JSON.parse(r.body.toString('utf8')) as {
        message: { id: number; attachments: { filename: string; size: number; sha256: string; content?: string; url?: string }[] };
      };
      const [got, big] = doc.message.attachments;
      assert.equal(got?.filename, 'small.bin');
      assert.deepEqual(Buffer.from(got?.content ?? '', 'base64'), small, 'the inline bytes are the bytes sent');
      assert.equal(got?.sha256, createHash('sha256').update(small).digest('hex'));
      assert.equal(got?.url, undefined);
      assert.equal(big?.filename, 'large.bin');
      assert.equal(big?.size, large.length);
      assert.equal(big?.content, undefined, 'over inlineAttachmentsUpTo: no content');
      assert.equal(big?.url, `https://postroom.test/blobs/${createHash('sha256').update(large).digest('hex')}?m=${doc.message.id}`);
    });

    it('an endpoint removed from the configuration makes its deliveries dead, naming the key', async () => {
      const eventId = await queueEvent('gone');
      const dead = await waitForState(eventId, 'dead');
      assert.match(dead.lastError ?? '', /webhooks\.endpoints\.gone/);
      assert.equal(receiver.of(eventId).length, 0);
    });

    it('replay of an unknown id exits non-zero with a clear message', async () => {
      const result = await session.cli('webhooks', 'replay', '999999');
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /no webhook delivery with id 999999/);
      const bad = await session.cli('webhooks', 'list', '--state', 'lost');
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /unknown state "lost"/);
    });
  });
}
