// The web admin UI in a real Chromium (Debian's, driven by playwright-core) against a real
// `postroom start`: sign in with http.token, the dashboard's verdict and counts, the quarantine,
// a message's trace and raw view, reprocess by a click, records; mail that tries to run script
// in the page shows as text and runs nothing.
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  engineConfig,
  freePort,
  runCli,
  startEngine,
  tempDir,
  waitFor,
  writeConfig,
  type EngineProcess,
} from '../support/engine.ts';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'ui-test-token-0123456789';
const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (npm test installs Debian's chromium as root)`;

const mail = (subject: string, id: string, body = 'Hello.') =>
  `From: Ada <ada@example.com>\r\nTo: support@localhost\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.com>\r\n\r\n${body}\r\n`;
const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> printer`;
const NESTED =
  'From: bob@example.com\r\nTo: support@localhost\r\nSubject: too deep\r\nMessage-ID: <deep@example.com>\r\nMIME-Version: 1.0\r\n' +
  'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n--a--\r\n';

describe('web admin UI in Chromium', { skip }, () => {
  let dir: string;
  let engine: EngineProcess;
  let browser: Browser;
  let page: Page;
  let base: string;
  const ids: Record<string, number> = {};
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...init.headers } });
  const stateOf = async (id: number) =>
    (await (await api(`/api/v1/messages/${id}`)).json()) as { state: string; finishedAt: string | null };

  before(async () => {
    dir = tempDir('postroom-ui-');
    const httpPort = await freePort();
    const smtpPort = await freePort();
    const config = writeConfig(
      dir,
      engineConfig({
        dataDir: `${dir}/data`,
        url: '',
        port: smtpPort,
        extra: [
          `http: { enabled: true, port: ${httpPort}, token: ${TOKEN} }`,
          'limits: { mimeDepth: 1 }',
          // A receiver that is never there: every delivery is dead after its one try.
          `webhooks: { schedule: [0s], endpoints: { crm: { url: "http://127.0.0.1:${await freePort()}/hook", secret: webhook-secret-0123456789 } } }`,
          'mailboxes: [{ address: support@localhost, recordType: CASE, webhooks: [crm] }]',
        ].join('\n'),
      }),
    );
    engine = await startEngine({ cwd: dir, config, port: smtpPort });
    writeFileSync(
      join(dir, 'directory.json'),
      JSON.stringify({
        users: [{ id: 'u-ann', name: 'Ann <Admin>', addresses: ['ann@ourfirm.com'], lockedOut: true }],
      }),
    );
    assert.equal(
      (await runCli(['-c', config, 'directory', 'import', join(dir, 'directory.json')], { cwd: dir })).code,
      0,
    );
    base = `http://127.0.0.1:${httpPort}`;
    for (const [name, raw] of [
      ['plain', mail('Toner for the printer', 'toner')],
      ['hostile', mail(HOSTILE, 'hostile', '<b>bold?</b>')],
      ['deep', NESTED],
    ] as const) {
      const res = await api('/api/v1/mail', {
        method: 'POST',
        headers: { 'content-type': 'message/rfc822' },
        body: raw,
      });
      assert.equal(res.status, 201);
      ids[name] = ((await res.json()) as { id: number }).id;
    }
    await waitFor(
      async () =>
        (await stateOf(ids['deep']!)).state === 'failed' &&
        (await stateOf(ids['hostile']!)).state === 'processed',
      20_000,
      'the mail processed',
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // As root, and on a machine without the internet: no sandbox, no background connections.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage();
    page.on('dialog', (d) => {
      throw new Error(`the page opened a dialog: ${d.message()}`);
    });
  });
  after(async () => {
    await browser?.close();
    await engine?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the token first, refuses a wrong one, and signs in with http.token', async () => {
    await page.goto(`${base}/ui`);
    assert.equal(new URL(page.url()).pathname, '/ui/login');
    await page.fill('input[name=token]', 'not-the-token-0000000000');
    await page.click('button[type=submit]');
    assert.equal(await page.textContent('[role=alert]'), 'That is not the token (http.token).');
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/ui`);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'postroom_session');
    assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
    assert.equal(
      (await api('/api/v1/messages', { headers: { authorization: `Bearer ${cookie.value}` } })).status,
      401,
      'the cookie is not an API token',
    );
  });

  it('the dashboard shows the verdict and the counts per state', async () => {
    await page.goto(`${base}/ui`);
    assert.match((await page.textContent('#verdict')) ?? '', /^WARNING/);
    assert.match((await page.textContent('#problems')) ?? '', /1 failed message\(s\) in quarantine/);
    assert.equal(await page.textContent('#states tr.total td[data-state=processed]'), '2');
    assert.equal(await page.textContent('#states tr.total td[data-state=failed]'), '1');
  });

  it('the quarantine lists the failed mail; its page shows why, with the trace; Reprocess runs it again', async () => {
    await page.click('nav >> text=Quarantine');
    await page.waitForURL(/\/ui\/messages\?state=failed$/);
    const rows = await page.$$eval('#messages tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    assert.equal(rows.length, 1);
    assert.match(rows[0] ?? '', /too deep/);
    await page.click('#messages >> text=too deep');
    await page.waitForURL(`${base}/ui/messages/${ids['deep']}`);
    assert.match((await page.textContent('#error')) ?? '', /mime/i);
    assert.ok((await page.$$('#trace tbody tr')).length >= 1);
    const before = (await stateOf(ids['deep']!)).finishedAt;
    await page.click('#reprocess');
    assert.equal(
      await page.textContent('[role=status]'),
      '1 message(s) queued again; the workers process them now.',
    );
    await waitFor(
      async () => (await stateOf(ids['deep']!)).finishedAt !== before,
      20_000,
      'the message processed again',
    );
    await page.reload();
    assert.equal(await page.textContent('#state'), 'failed', 'still too deep: the limit did not change');
  });

  it('mail that carries script shows as text and runs nothing, in the list, the message and the raw view', async () => {
    await page.goto(`${base}/ui/messages`);
    assert.ok(((await page.textContent('#messages')) ?? '').includes('<script>window.__pwned=1</script>'));
    await page.goto(`${base}/ui/messages/${ids['hostile']}`);
    assert.equal(await page.textContent('#subject'), HOSTILE);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0);
    const raw = await page.goto(`${base}/ui/messages/${ids['hostile']}/raw`);
    assert.equal(raw?.headers()['content-type'], 'text/plain; charset=utf-8');
    assert.ok(((await page.textContent('body')) ?? '').includes('<b>bold?</b>'));
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
  });

  it('records list and a record with its history', async () => {
    await page.goto(`${base}/ui/records`);
    const numbers = await page.$$eval('#records tbody tr td:first-child', (tds) =>
      tds.map((td) => td.textContent ?? ''),
    );
    assert.equal(numbers.length, 2);
    await page.click(`#records >> text=${numbers[0]}`);
    await page.waitForURL(`${base}/ui/records/${numbers[0]}`);
    assert.match((await page.textContent('h1')) ?? '', new RegExp(`^${numbers[0]}`));
    assert.equal((await page.$$('#history tbody tr')).length, 1);
    const missing = await page.goto(`${base}/ui/records/NOPE0000001`);
    assert.equal(missing?.status(), 404);
    assert.equal(await page.textContent('h1'), 'Record not found');
  });

  it('the directory page shows users with their addresses, and who is locked out', async () => {
    await page.click('nav >> text=Directory');
    await page.waitForURL(`${base}/ui/directory`);
    const row = (await page.textContent('#parties tbody tr')) ?? '';
    assert.match(row, /u-ann/);
    assert.match(row, /Ann <Admin>/);
    assert.match(row, /ann@ourfirm\.com/);
    assert.match(row, /locked out/);
  });

  it('the outbox and webhooks page lists dead deliveries; Replay queues one again', async () => {
    await waitFor(
      async () =>
        ((await (await api('/api/v1/webhooks?failed=true')).json()) as { deliveries: unknown[] }).deliveries
          .length === 2,
      20_000,
      'two dead deliveries',
    );
    await page.goto(`${base}/ui`);
    await page.click('text=Webhooks');
    await page.waitForURL(`${base}/ui/queues`);
    const states = await page.$$eval('#deliveries tbody tr td:nth-child(3)', (tds) =>
      tds.map((td) => td.textContent ?? ''),
    );
    assert.deepEqual(states, ['dead', 'dead']);
    await page.click('#deliveries tbody tr:first-child button');
    assert.equal(
      await page.textContent('[role=status]'),
      'The delivery is queued again from its first try, with the same event id.',
    );
  });

  it('a form posted from another site is refused; signing out ends the session', async () => {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'postroom_session');
    const forged = await fetch(`${base}/ui/messages/reprocess`, {
      method: 'POST',
      headers: {
        cookie: `postroom_session=${cookie?.value}`,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'state=failed',
      redirect: 'manual',
    });
    assert.equal(forged.status, 403);
    await page.goto(`${base}/ui`);
    await page.click('nav >> text=Sign out');
    await page.waitForURL(`${base}/ui/login`);
    await page.goto(`${base}/ui/records`);
    assert.equal(new URL(page.url()).pathname, '/ui/login');
  });
});
