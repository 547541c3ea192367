// The HTTP face as a client uses it: `postroom start` with http.enabled, real sockets and fetch,
// on both backends. Mail goes in by POST /api/v1/mail, is processed by the engine's workers, and
// comes back out through the listing, the detail, the raw bytes, the records, /metrics and /health.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  backends,
  engineConfig,
  freePort,
  freshDatabaseUrl,
  runCli,
  startEngine,
  tempDir,
  waitFor,
  writeConfig,
  type EngineProcess,
} from '../support/engine.ts';

const TOKEN = 'test-token-0123456789abcdef';
const mail = (subject: string, id: string) =>
  `From: Ada <ada@example.com>\r\nTo: support@localhost\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.com>\r\nDate: Mon, 07 Dec 2026 09:00:00 +0000\r\n\r\nThe printer is out of toner.\r\n`;

for (const backend of backends()) {
  describe(`HTTP API and metrics through postroom start (${backend})`, () => {
    let dir: string;
    let config: string;
    let engine: EngineProcess;
    let base: string;
    const api = (path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
      fetch(`${base}${path}`, {
        ...init,
        headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...init.headers },
      });
    const upload = (raw: string, query = '') =>
      api(`/api/v1/mail${query}`, {
        method: 'POST',
        headers: { 'content-type': 'message/rfc822' },
        body: raw,
      });
    const messageState = async (id: number): Promise<string> =>
      ((await (await api(`/api/v1/messages/${id}`)).json()) as { state: string }).state;

    before(async () => {
      dir = tempDir('postroom-http-');
      const httpPort = await freePort();
      const smtpPort = await freePort();
      const nobodyListens = await freePort();
      config = writeConfig(
        dir,
        engineConfig({
          dataDir: `${dir}/data`,
          url: await freshDatabaseUrl(backend),
          port: smtpPort,
          extra: [
            `http: { enabled: true, port: ${httpPort}, token: ${TOKEN}, maxUploadSize: 64KB }`,
            'webhooks:',
            '  schedule: [0s]',
            `  endpoints: { down: { url: "http://127.0.0.1:${nobodyListens}/hook", secret: webhook-secret-0123456789 } }`,
            'mailboxes:',
            '  - { address: support@localhost, recordType: CASE }',
            '  - { address: sales@localhost, recordType: CASE }',
            '  - { address: hooks@localhost, recordType: CASE, webhooks: [down] }',
          ].join('\n'),
        }),
      );
      engine = await startEngine({ cwd: dir, config, port: smtpPort });
      base = `http://127.0.0.1:${httpPort}`;
      assert.match(engine.output(), new RegExp(`HTTP on 127\\.0\\.0\\.1:${httpPort}`));
    });
    after(async () => {
      await engine?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('the API refuses a request without the token or with another one; the probes and the OpenAPI document need none', async () => {
      const none = await api('/api/v1/messages', {}, null);
      assert.equal(none.status, 401);
      assert.deepEqual(await none.json(), {
        error: { code: 'unauthorized', message: 'send Authorization: Bearer <http.token>' },
      });
      assert.equal((await api('/api/v1/messages', {}, 'not-the-token-at-all-0000')).status, 401);
      assert.equal(
        (
          await api(
            '/api/v1/mail',
            { method: 'POST', headers: { 'content-type': 'message/rfc822' }, body: mail('x', 'x') },
            null,
          )
        ).status,
        401,
      );
      assert.equal((await api('/health', {}, null)).status, 200);
      assert.equal((await api('/metrics', {}, null)).status, 200);
      const doc = (await (await api('/api/v1/openapi.json', {}, null)).json()) as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.paths['/api/v1/mail']);
    });

    let first = 0;
    it('uploaded mail is stored (201), processed by the workers and opens a record; the same bytes again are one message (200)', async () => {
      const res = await upload(mail('Toner for the printer', 'toner-1'), '?mailbox=SALES@localhost');
      assert.equal(res.status, 201);
      const body = (await res.json()) as { id: number; mailbox: string; duplicate: boolean; size: number };
      assert.equal(body.mailbox, 'sales@localhost');
      assert.equal(body.duplicate, false);
      first = body.id;
      await waitFor(
        async () => (await messageState(first)) === 'processed',
        20_000,
        'the uploaded mail processed',
      );
      const again = await upload(mail('Toner for the printer', 'toner-1'), '?mailbox=sales@localhost');
      assert.equal(again.status, 200);
      assert.deepEqual({ ...((await again.json()) as object) }, { ...body, duplicate: true });
      const detail = (await (await api(`/api/v1/messages/${first}`)).json()) as {
        source: string;
        record: string;
        duplicates: number;
        trace: unknown[];
      };
      assert.equal(detail.source, 'http');
      assert.match(detail.record, /^CASE\d+$/);
      assert.equal(detail.duplicates, 1);
      assert.ok(detail.trace.length > 0, 'the decision trace comes with the message');
      const record = (await (await api(`/api/v1/records/${detail.record}`)).json()) as {
        number: string;
        subject: string;
        entries: { messageRef: number }[];
      };
      assert.equal(record.subject, 'Toner for the printer');
      assert.deepEqual(
        record.entries.map((e) => e.messageRef),
        [first],
      );
    });

    it('the raw bytes come back exactly; the message matches what the CLI shows', async () => {
      const raw = await api(`/api/v1/messages/${first}/raw`);
      assert.equal(raw.status, 200);
      assert.equal(raw.headers.get('content-type'), 'message/rfc822');
      assert.equal(await raw.text(), mail('Toner for the printer', 'toner-1'));
      const cli = await runCli(['-c', config, 'messages', 'show', String(first), '--json'], { cwd: dir });
      assert.equal(cli.code, 0, cli.stderr);
      const fromApi = (await (await api(`/api/v1/messages/${first}`)).json()) as Record<string, unknown>;
      assert.deepEqual(fromApi, JSON.parse(cli.stdout));
    });

    it('decide tells how a mail would be treated, against the live store: a reply finds its record; nothing is written', async () => {
      const count = async () =>
        ((await (await api('/api/v1/messages')).json()) as { messages: unknown[] }).messages.length;
      const before = await count();
      const decide = (raw: string, query = '') =>
        api(`/api/v1/decide${query}`, {
          method: 'POST',
          headers: { 'content-type': 'message/rfc822' },
          body: raw,
        });
      const { record } = (await (await api(`/api/v1/messages/${first}`)).json()) as { record: string };
      const reply = `From: Ada <ada@example.com>\r\nTo: sales@localhost\r\nSubject: Re: Toner for the printer\r\nMessage-ID: <toner-2@example.com>\r\nIn-Reply-To: <toner-1@example.com>\r\n\r\nStill no toner.\r\n`;
      const res = await decide(reply, '?mailbox=sales@localhost');
      assert.equal(res.status, 200);
      const report = (await res.json()) as { record: string; category: string; trace: unknown[] };
      assert.equal(report.record, record, 'the reply joins the record the first mail opened');
      assert.ok(report.trace.length > 0);
      // A new mail: the same answer as `postroom decide --json` on the file (which starts from an empty store).
      const fresh = mail('Paper jam', 'jam-1');
      writeFileSync(join(dir, 'jam.eml'), fresh);
      const cli = await runCli(['-c', config, 'decide', join(dir, 'jam.eml'), '--json'], { cwd: dir });
      assert.equal(cli.code, 0, cli.stderr);
      const [fromCli] = JSON.parse(cli.stdout) as Record<string, unknown>[];
      assert.deepEqual(
        { ...((await (await decide(fresh)).json()) as object), file: fromCli?.['file'] },
        fromCli,
      );
      assert.equal(await count(), before, 'decide wrote no message');
      assert.equal((await decide(fresh, '?mailbox=nobody@localhost')).status, 400);
    });

    it('the listing filters as `messages list` does and pages by nextAfterId', async () => {
      for (const n of [2, 3, 4]) assert.equal((await upload(mail(`Invoice ${n}`, `inv-${n}`))).status, 201);
      type Page = {
        messages: { id: number; subject: string; mailbox: string }[];
        nextAfterId: number | null;
      };
      const page = async (q: string): Promise<Page> =>
        (await (await api(`/api/v1/messages${q}`)).json()) as Page;
      const one = await page('?subject=invoice&limit=2');
      assert.deepEqual(
        one.messages.map((m) => m.subject),
        ['Invoice 2', 'Invoice 3'],
      );
      assert.ok(one.nextAfterId !== null);
      const two = await page(`?subject=invoice&limit=2&afterId=${one.nextAfterId}`);
      assert.deepEqual(
        two.messages.map((m) => m.subject),
        ['Invoice 4'],
      );
      assert.equal(two.nextAfterId, null);
      assert.deepEqual(
        (await page('?mailbox=sales@localhost')).messages.map((m) => m.id),
        [first],
      );
      const bad = await api('/api/v1/messages?state=lost&colour=red');
      assert.equal(bad.status, 400);
      assert.match(
        ((await bad.json()) as { error: { message: string } }).error.message,
        /unknown query parameter\(s\) colour/,
      );
      const huge = await api('/api/v1/messages?limit=100000');
      assert.equal(huge.status, 400);
      assert.match(
        ((await huge.json()) as { error: { message: string } }).error.message,
        /at most 5000; page on with afterId/,
      );
      const badState = await api('/api/v1/messages?state=lost');
      assert.match(
        ((await badState.json()) as { error: { message: string } }).error.message,
        /unknown state "lost"; use one of/,
      );
    });

    it('what is not mail, too large or of another type is refused with a reason, and nothing is stored', async () => {
      const before = ((await (await api('/api/v1/messages')).json()) as { messages: unknown[] }).messages
        .length;
      const notMail = await upload('%PDF-1.7 binary stuff');
      assert.equal(notMail.status, 422);
      assert.equal(((await notMail.json()) as { error: { code: string } }).error.code, 'not_mail');
      const big = await upload(mail('big', 'big') + 'x'.repeat(70 * 1024));
      assert.equal(big.status, 413);
      assert.match(
        ((await big.json()) as { error: { message: string } }).error.message,
        /http\.maxUploadSize/,
      );
      const json = await api('/api/v1/mail', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      assert.equal(json.status, 415);
      const nobody = await upload(mail('x', 'x'), '?mailbox=nobody@localhost');
      assert.equal(nobody.status, 400);
      assert.match(
        ((await nobody.json()) as { error: { message: string } }).error.message,
        /mailbox nobody@localhost is not configured/,
      );
      assert.equal(
        ((await (await api('/api/v1/messages')).json()) as { messages: unknown[] }).messages.length,
        before,
      );
    });

    it('a failed message is reprocessed by the API; an unknown one is 404', async () => {
      assert.equal((await api('/api/v1/messages/999999')).status, 404);
      assert.equal((await api('/api/v1/messages/999999/reprocess', { method: 'POST' })).status, 404);
      await waitFor(
        async () => (await messageState(first + 3)) === 'processed',
        20_000,
        'the invoices processed',
      );
      type Detail = { finishedAt: string; record: string };
      const was = (await (await api(`/api/v1/messages/${first}`)).json()) as Detail;
      const res = await api(`/api/v1/messages/${first}/reprocess`, { method: 'POST' });
      assert.equal(res.status, 202);
      assert.deepEqual(await res.json(), { requeued: 1 });
      await waitFor(
        async () => {
          const now = (await (await api(`/api/v1/messages/${first}`)).json()) as Detail & { state: string };
          return now.state === 'processed' && now.finishedAt !== was.finishedAt;
        },
        20_000,
        'the reprocessed mail processed again',
      );
      const detail = (await (await api(`/api/v1/messages/${first}`)).json()) as Detail;
      assert.equal(detail.record, was.record, 'the same record');
      const records = (await (await api('/api/v1/records')).json()) as { records: { number: string }[] };
      assert.equal(
        records.records.filter((r) => r.number === detail.record).length,
        1,
        'reprocessing did not open a second record',
      );
      const bad = await api('/api/v1/messages/reprocess?state=lost', { method: 'POST' });
      assert.equal(bad.status, 400);
    });

    it('the directory reads as `directory list --json` prints it; a wrong kind is 400', async () => {
      const file = join(dir, 'directory.json');
      writeFileSync(
        file,
        JSON.stringify({
          users: [{ id: 'u-ann', name: 'Ann Admin', addresses: ['ann@ourfirm.com'] }],
          contacts: [
            { id: 'c-bob', name: 'Bob Plumber', addresses: ['bob@acmeplumbing.com'], company: 'acme' },
          ],
          companies: [{ id: 'acme', name: 'Acme Plumbing', domains: ['acmeplumbing.com'] }],
        }),
      );
      assert.equal((await runCli(['-c', config, 'directory', 'import', file], { cwd: dir })).code, 0);
      const cli = await runCli(['-c', config, 'directory', 'list', '--json'], { cwd: dir });
      const listing = (await (await api('/api/v1/directory')).json()) as {
        users: { id: string }[];
        contacts: unknown[];
      };
      assert.deepEqual(listing, JSON.parse(cli.stdout));
      assert.deepEqual(
        listing.users.map((u) => u.id),
        ['u-ann'],
      );
      assert.deepEqual(Object.keys((await (await api('/api/v1/directory?kind=company')).json()) as object), [
        'companies',
      ]);
      const bad = await api('/api/v1/directory?kind=robot');
      assert.equal(bad.status, 400);
      assert.match(
        ((await bad.json()) as { error: { message: string } }).error.message,
        /unknown kind "robot"; use one of: user, contact, company, project/,
      );
    });

    it('/metrics and /health report the store: messages by state, records, and the verdict', async () => {
      const text = await (await api('/metrics', {}, null)).text();
      const value = (line: string): number => {
        const m = new RegExp(`^${line.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text);
        assert.ok(m, `${line} in /metrics:\n${text.slice(0, 2000)}`);
        return Number(m[1]);
      };
      assert.equal(value('postroom_messages{state="processed"}'), 4);
      assert.equal(value('postroom_messages{state="failed"}'), 0);
      assert.equal(value('postroom_mailbox_messages{mailbox="sales@localhost",state="processed"}'), 1);
      assert.equal(value('postroom_records'), 4);
      assert.equal(value('postroom_duplicate_deliveries_ignored'), 1);
      assert.equal(value('postroom_store_up'), 1);
      assert.equal(value('postroom_health_status'), 0);
      assert.match(text, /^process_resident_memory_bytes \d+/m, 'the process figures too');
      const health = await api('/health', {}, null);
      assert.deepEqual(await health.json(), { status: 'ok', problems: [] });
      const status = (await (await api('/api/v1/status')).json()) as {
        byState: Record<string, number>;
        check: { status: string };
      };
      assert.equal(status.byState['processed'], 4);
      assert.equal(status.check.status, 'ok');
    });

    it('an attachment is served by its SHA-256 (the webhooks attachmentLink); an unknown hash is 404', async () => {
      const withFile = [
        'From: ada@example.com',
        'To: support@localhost',
        'Subject: the form',
        'Message-ID: <form@example.com>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'attached',
        '--b',
        'Content-Type: application/pdf; name="form.pdf"',
        'Content-Disposition: attachment; filename="form.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('%PDF-1.4 the form').toString('base64'),
        '--b--',
        '',
      ].join('\r\n');
      const { id } = (await (await upload(withFile)).json()) as { id: number };
      await waitFor(
        async () => (await messageState(id)) === 'processed',
        20_000,
        'the mail with a file processed',
      );
      const { attachments } = (await (await api(`/api/v1/messages/${id}`)).json()) as {
        attachments: { sha256: string; filename: string }[];
      };
      const file = attachments.find((a) => a.filename === 'form.pdf');
      assert.ok(file, JSON.stringify(attachments));
      const blob = await api(`/api/v1/blobs/${file.sha256}`);
      assert.equal(blob.status, 200);
      assert.equal(await blob.text(), '%PDF-1.4 the form');
      assert.equal((await api(`/api/v1/blobs/${'0'.repeat(64)}`)).status, 404);
      assert.equal((await api('/api/v1/blobs/..%2f..%2fetc%2fpasswd')).status, 400);
    });

    it('outbox and webhook deliveries list as the CLI prints them; a dead delivery is replayed with the same event id', async () => {
      const { id } = (await (await upload(mail('Hook me', 'hook-1'), '?mailbox=hooks@localhost')).json()) as {
        id: number;
      };
      type Delivery = { id: number; eventId: string; message: number; state: string; attempts: number };
      const dead = async (): Promise<Delivery[]> =>
        ((await (await api('/api/v1/webhooks?failed=true')).json()) as { deliveries: Delivery[] }).deliveries;
      await waitFor(
        async () => (await dead()).length === 1,
        20_000,
        'the delivery to a closed port dead after its one try',
      );
      const [delivery] = await dead();
      assert.equal(delivery?.message, id);
      const cli = await runCli(['-c', config, 'webhooks', 'list', '--json'], { cwd: dir });
      assert.deepEqual(
        ((await (await api('/api/v1/webhooks')).json()) as { deliveries: unknown }).deliveries,
        JSON.parse(cli.stdout),
      );
      const replay = await api(`/api/v1/webhooks/${delivery?.id}/replay`, { method: 'POST' });
      assert.equal(replay.status, 202);
      const replayed = (await replay.json()) as Delivery;
      assert.equal(replayed.eventId, delivery?.eventId);
      assert.equal(replayed.attempts, 0, 'the schedule starts over');
      assert.equal((await api('/api/v1/webhooks/999999/replay', { method: 'POST' })).status, 404);
      const bad = await api('/api/v1/webhooks?failed=true&state=delivered');
      assert.equal(bad.status, 400);
      assert.match(
        ((await bad.json()) as { error: { message: string } }).error.message,
        /failed lists the state dead; leave out state or use state dead/,
      );
      const outboxCli = await runCli(['-c', config, 'outbox', 'list', '--json'], { cwd: dir });
      assert.deepEqual(
        ((await (await api('/api/v1/outbox')).json()) as { outbox: unknown }).outbox,
        JSON.parse(outboxCli.stdout),
      );
    });
  });
}
