import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { leadingPrefix } from '../../src/decide/categorize/subject-prefix.ts';
import { decideRaw } from '../../src/decide/decide-raw.ts';
import { openDecideSandbox } from '../../src/decide-sandbox.ts';
import { defaultPrefixes } from '../support/settings.ts';

describe('subject prefixes', () => {
  it('finds the configured prefix in its common spellings', () => {
    assert.equal(leadingPrefix('Re: printer', defaultPrefixes.reply), 're:');
    assert.equal(leadingPrefix('AW: Drucker', defaultPrefixes.reply), 'aw:');
    assert.equal(leadingPrefix('RE[2]: printer', defaultPrefixes.reply), 're:');
    assert.equal(leadingPrefix('Réf : commande', defaultPrefixes.reply), 'réf:');
    assert.equal(leadingPrefix('[EXT] Fwd: invoice', defaultPrefixes.forward), 'fwd:');
    assert.equal(leadingPrefix('WG: Rechnung', defaultPrefixes.forward), 'wg:');
    assert.equal(leadingPrefix('Accepted: Weekly sync', defaultPrefixes.reply), 'accepted:');
  });
  it('does not take words that merely start like a prefix', () => {
    assert.equal(leadingPrefix('Regarding your order', defaultPrefixes.reply), null);
    assert.equal(leadingPrefix('Rechnung 12', defaultPrefixes.reply), null);
    assert.equal(leadingPrefix('Information: new hours', defaultPrefixes.forward), null, '"i:" needs the colon right after');
    assert.equal(leadingPrefix('Printer: Re: broken', defaultPrefixes.reply), null, 'only the leading prefix counts');
  });
});

describe('forward → reply → new', () => {
  let sandbox: Awaited<ReturnType<typeof openDecideSandbox>>;
  before(async () => {
    sandbox = await openDecideSandbox();
  });
  after(() => sandbox.close());
  const mail = (subject: string, body: string, headers: string[] = []): Buffer =>
    Buffer.from(['From: ann@example.com', 'To: support@localhost', `Subject: ${subject}`, ...headers, '', body, ''].join('\r\n'));
  const categoryOf = async (raw: Buffer): Promise<string> => (await decideRaw(raw, sandbox.options)).category;

  it('a forward prefix wins over a reply in the history; a reply prefix over a quoted forward', async () => {
    assert.equal(await categoryOf(mail('Fwd: Re: printer', 'see below\r\n\r\nFrom: bob@example.com\r\nSubject: Re: printer\r\n\r\nbroken')), 'forward');
    const quotedForward = 'ok, done\r\n\r\n---------- Forwarded message ---------\r\nFrom: Bob <bob@example.com>\r\nSubject: printer\r\n\r\nbroken';
    assert.equal(await categoryOf(mail('Re: Fwd: printer', quotedForward)), 'reply');
    assert.equal(await categoryOf(mail('printer', quotedForward)), 'forward', 'an inline forwarded block alone makes a forward');
  });
  it('thread headers alone make a reply only when they name mail we know; otherwise new', async () => {
    assert.equal(await categoryOf(mail('printer', 'hi', ['In-Reply-To: <unknown@example.com>'])), 'new');
    assert.equal(await categoryOf(mail('AW: printer', 'hi')), 'reply');
    assert.equal(await categoryOf(mail('printer broken', 'hi')), 'new');
  });
  it('machine mail is never a forward, even with a returned message inside', async () => {
    const report = await decideRaw(
      mail('Fwd: Undelivered Mail', 'x', ['Auto-Submitted: auto-replied', 'X-Autoreply: yes']),
      sandbox.options,
    );
    assert.equal(report.class, 'auto_reply');
    assert.equal(report.forwarded, null);
  });
});

describe('seed 001 forward rule', () => {
  let sandbox: Awaited<ReturnType<typeof openDecideSandbox>>;
  before(async () => {
    sandbox = await openDecideSandbox();
  });
  after(() => sandbox.close());
  const raw = (subject: string, body: string): Buffer =>
    Buffer.from(['From: ann@example.com', 'To: support@localhost', `Subject: ${subject}`, '', body, ''].join('\r\n'));

  it('a forward prefix needs "From" in the body', async () => {
    assert.equal((await decideRaw(raw('Fwd: invoice', 'see attachment'), sandbox.options)).category, 'new');
    assert.equal((await decideRaw(raw('Fwd: invoice', 'From: Bob <bob@example.com>\r\nSubject: invoice\r\n\r\nplease pay'), sandbox.options)).category, 'forward');
  });
  it('an "Out of Office AutoReply" subject is skipped (seed 001)', async () => {
    const report = await decideRaw(raw('Out of Office AutoReply: invoice', 'I am away.'), sandbox.options);
    assert.equal(report.class, 'auto_reply');
    assert.equal(report.state, 'skipped');
  });
});
