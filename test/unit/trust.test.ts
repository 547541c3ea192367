import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { dkimSign } from 'mailauth';
import { parseAuthenticationResults } from '../../src/decide/identify/authentication-results.ts';
import { clientFromReceived, fromClause, relayMatcher } from '../../src/decide/identify/received-hop.ts';
import {
  assessTrust,
  trustAllows,
  type TrustInput,
  type TrustSettings,
} from '../../src/decide/identify/trust.ts';
import { DnsStub } from '../support/dns-stub.ts';

// keys made here, published only in the stub: no test asks real DNS
const ours = generateKeyPairSync('rsa', { modulusLength: 2048 });
const theirs = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (k: typeof ours.privateKey): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();

/** example.com: p=reject, mail from 192.0.2.10; nodmarc.test: SPF but no DMARC; attacker.test signs its own mail. */
function world(): DnsStub {
  return new DnsStub()
    .dkimKey('example.com', 'sel1', ours.publicKey)
    .spf('example.com', 'v=spf1 ip4:192.0.2.10 -all')
    .dmarc('example.com', 'v=DMARC1; p=reject; rua=mailto:dmarc@example.com')
    .dkimKey('attacker.test', 'evil', theirs.publicKey)
    .spf('attacker.test', 'v=spf1 ip4:203.0.113.66 -all')
    .spf('nodmarc.test', 'v=spf1 ip4:198.51.100.20 -all');
}

const settings = (dns: DnsStub, over: Partial<TrustSettings> = {}): TrustSettings => ({
  mode: 'verify',
  trustedAuthservIds: [],
  trustedRelays: [],
  resolver: dns.resolve,
  ...over,
});

function mail(from: string, extraHeaders: string[] = [], body = 'Please update my ticket.\r\n'): Buffer {
  return Buffer.from(
    [
      ...extraHeaders,
      `From: ${from}`,
      'To: support@ours.test',
      'Subject: INC0010061 printer',
      'Date: Tue, 05 May 2026 10:00:00 +0000',
      `Message-ID: <${Math.random().toString(36).slice(2)}@test>`,
      '',
      body,
    ].join('\r\n'),
  );
}

async function signed(
  raw: Buffer,
  signingDomain: string,
  selector: string,
  key: typeof ours.privateKey,
): Promise<Buffer> {
  const one = { signingDomain, selector, privateKey: pem(key) };
  // mailauth 7 signs only what is in signatureData; the top-level keys its types ask for are ignored
  const result = await dkimSign(raw, { ...one, signatureData: [one] });
  assert.deepEqual(result.errors, []);
  assert.match(result.signatures, /^DKIM-Signature: /);
  return Buffer.concat([Buffer.from(result.signatures), raw]);
}

/** Header name (lower case) → unfolded values, topmost first: what parse hands to identify. */
function headersOf(raw: Buffer): Record<string, string[]> {
  const head = raw.toString('latin1').split(/\r?\n\r?\n/)[0] ?? '';
  const out: Record<string, string[]> = {};
  for (const field of head.split(/\r?\n(?![ \t])/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    (out[name] ??= []).push(
      field
        .slice(colon + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim(),
    );
  }
  return out;
}

function input(raw: Buffer, fromAddress: string, envelope: TrustInput['envelope'] = null): TrustInput {
  return { raw, fromAddress, envelope, headers: headersOf(raw) };
}

describe('assessTrust, verify mode (mailauth with a stub resolver)', () => {
  it('an aligned DKIM signature that passes is verified', async () => {
    const dns = world();
    const raw = await signed(mail('Alice <alice@example.com>'), 'example.com', 'sel1', ours.privateKey);
    const v = await assessTrust(input(raw, 'alice@example.com'), settings(dns));
    assert.equal(v.verdict, 'verified');
    assert.deepEqual(v.dkim, [{ domain: 'example.com', selector: 'sel1', result: 'pass', aligned: true }]);
    assert.deepEqual(v.dmarc, { result: 'pass', policy: 'reject', domain: 'example.com' });
    assert.ok(dns.queries.includes('TXT sel1._domainkey.example.com'), dns.queries.join(', '));
    assert.ok(
      v.evidence.some((e) => /DMARC passes for example\.com/.test(e)),
      v.evidence.join(' | '),
    );
  });

  it('the raw mail may come as a stream', async () => {
    const raw = await signed(mail('alice@example.com'), 'example.com', 'sel1', ours.privateKey);
    const v = await assessTrust(
      {
        ...input(raw, 'alice@example.com'),
        raw: () => Readable.from([raw.subarray(0, 50), raw.subarray(50)]),
      },
      settings(world()),
    );
    assert.equal(v.verdict, 'verified');
  });

  it('From of a p=reject domain, signed by another domain, is unverified', async () => {
    const raw = await signed(mail('Alice <alice@example.com>'), 'attacker.test', 'evil', theirs.privateKey);
    const v = await assessTrust(input(raw, 'alice@example.com'), settings(world()));
    assert.equal(v.verdict, 'unverified');
    // the signature itself is good: it just proves attacker.test, not example.com
    assert.deepEqual(v.dkim, [{ domain: 'attacker.test', selector: 'evil', result: 'pass', aligned: false }]);
    assert.deepEqual(v.dmarc, { result: 'fail', policy: 'reject', domain: 'example.com' });
  });

  it('a body altered after signing is unverified', async () => {
    const good = await signed(mail('alice@example.com'), 'example.com', 'sel1', ours.privateKey);
    const altered = Buffer.from(good.toString().replace('update my ticket', 'close my ticket'));
    assert.notDeepEqual(altered, good);
    const v = await assessTrust(input(altered, 'alice@example.com'), settings(world()));
    assert.equal(v.verdict, 'unverified');
    assert.equal(v.dkim.length, 1);
    assert.notEqual(v.dkim[0]?.result, 'pass');
    assert.equal(v.dmarc?.result, 'fail');
  });

  it('SPF pass from the right IP, with no DKIM, is verified', async () => {
    const raw = mail('alice@example.com');
    const envelope = { remoteAddress: '192.0.2.10', helo: 'mail.example.com', mailFrom: 'alice@example.com' };
    const v = await assessTrust(input(raw, 'alice@example.com', envelope), settings(world()));
    assert.equal(v.verdict, 'verified');
    assert.deepEqual(v.spf, { result: 'pass', domain: 'example.com' });
    assert.deepEqual(v.dkim, []);
    assert.equal(v.clientIp, '192.0.2.10');
  });

  it('SPF fail from a wrong IP, with no DKIM, is unverified', async () => {
    const raw = mail('alice@example.com');
    const envelope = {
      remoteAddress: '203.0.113.66',
      helo: 'mail.example.com',
      mailFrom: 'alice@example.com',
    };
    const v = await assessTrust(input(raw, 'alice@example.com', envelope), settings(world()));
    assert.equal(v.verdict, 'unverified');
    assert.deepEqual(v.spf, { result: 'fail', domain: 'example.com' });
    assert.equal(v.dmarc?.result, 'fail');
  });

  it('a domain without a DMARC record is unknown, even when SPF fails', async () => {
    const raw = mail('bob@nodmarc.test');
    const envelope = { remoteAddress: '203.0.113.66', helo: 'x.test', mailFrom: 'bob@nodmarc.test' };
    const v = await assessTrust(input(raw, 'bob@nodmarc.test', envelope), settings(world()));
    assert.equal(v.verdict, 'unknown');
    assert.equal(v.dmarc?.result, 'none');
    assert.equal(v.dmarc?.policy, null);
    assert.equal(v.spf?.result, 'fail');
  });

  it('a domain without a DMARC record but an own DKIM signature is verified', async () => {
    const dns = world().dkimKey('nodmarc.test', 's', ours.publicKey);
    const raw = await signed(mail('bob@nodmarc.test'), 'nodmarc.test', 's', ours.privateKey);
    const v = await assessTrust(input(raw, 'bob@nodmarc.test'), settings(dns));
    assert.equal(v.verdict, 'verified');
    assert.equal(v.dmarc?.result, 'none');
  });

  it('an A-R header with an untrusted authserv-id is ignored: the forged pass does not help', async () => {
    const raw = mail('alice@example.com', [
      'Authentication-Results: mx.ours.test; dmarc=pass header.from=example.com',
    ]);
    const v = await assessTrust(input(raw, 'alice@example.com'), settings(world()));
    assert.equal(v.verdict, 'unverified');
    assert.ok(!v.evidence.some((e) => /trusted/.test(e) && /mx\.ours\.test/.test(e)), v.evidence.join(' | '));
  });

  it('two From fields are unverified', async () => {
    const raw = await signed(
      mail('alice@example.com', ['From: mallory@attacker.test']),
      'attacker.test',
      'evil',
      theirs.privateKey,
    );
    const v = await assessTrust(input(raw, 'alice@example.com'), settings(world()));
    assert.equal(v.verdict, 'unverified');
  });

  it('a DMARC pass for another From than the one identify reads is unverified', async () => {
    const raw = await signed(mail('mallory@attacker.test'), 'attacker.test', 'evil', theirs.privateKey);
    const dns = world().dmarc('attacker.test', 'v=DMARC1; p=none');
    const v = await assessTrust(input(raw, 'alice@example.com'), settings(dns));
    assert.equal(v.verdict, 'unverified');
    assert.ok(
      v.evidence.some((e) => /evaluated for attacker\.test/.test(e)),
      v.evidence.join(' | '),
    );
  });

  it('mode off asks nothing and says unknown', async () => {
    const dns = world();
    const raw = mail('alice@example.com');
    const v = await assessTrust(input(raw, 'alice@example.com'), settings(dns, { mode: 'off' }));
    assert.equal(v.verdict, 'unknown');
    assert.deepEqual(dns.queries, []);
  });
});

describe('assessTrust, trust-header mode', () => {
  const header = (id: string): string =>
    `Authentication-Results: ${id}; dkim=pass header.d=example.com header.s=sel1;\r\n spf=fail smtp.mailfrom=example.com;\r\n dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com`;

  it('a trusted authserv-id saying dmarc=pass is verified, without any DNS', async () => {
    const dns = world();
    const raw = mail('alice@example.com', [header('mx.ours.test')]);
    const v = await assessTrust(
      input(raw, 'alice@example.com'),
      settings(dns, { mode: 'trust-header', trustedAuthservIds: ['MX.ours.test'] }),
    );
    assert.equal(v.verdict, 'verified');
    assert.deepEqual(v.dmarc, { result: 'pass', policy: 'reject', domain: 'example.com' });
    assert.deepEqual(v.dkim, [{ domain: 'example.com', selector: 'sel1', result: 'pass', aligned: true }]);
    assert.deepEqual(dns.queries, []);
  });

  it('the same header with an untrusted authserv-id is ignored', async () => {
    const raw = mail('alice@example.com', [header('mx.elsewhere.test')]);
    const v = await assessTrust(
      input(raw, 'alice@example.com'),
      settings(world(), { mode: 'trust-header', trustedAuthservIds: ['mx.ours.test'] }),
    );
    assert.equal(v.verdict, 'unknown');
    assert.equal(v.dmarc, null);
    assert.deepEqual(v.dkim, []);
  });

  it('only the topmost trusted header counts: a forged copy below it is not read', async () => {
    const failing =
      'Authentication-Results: mx.ours.test; dkim=none; spf=fail smtp.mailfrom=example.com; dmarc=fail (p=REJECT) header.from=example.com';
    const raw = mail('alice@example.com', [failing, header('mx.ours.test')]);
    const v = await assessTrust(
      input(raw, 'alice@example.com'),
      settings(world(), { mode: 'trust-header', trustedAuthservIds: ['mx.ours.test'] }),
    );
    assert.equal(v.verdict, 'unverified');
    assert.equal(v.dmarc?.policy, 'reject');
  });

  it('in verify mode a trusted MTA that saw DMARC pass outweighs a signature our side broke', async () => {
    const good = await signed(
      mail('alice@example.com', [header('mx.ours.test')]),
      'example.com',
      'sel1',
      ours.privateKey,
    );
    const withDisclaimer = Buffer.from(`${good.toString()}-- \r\nThis mail was scanned.\r\n`);
    const trusted = await assessTrust(
      input(withDisclaimer, 'alice@example.com'),
      settings(world(), { trustedAuthservIds: ['mx.ours.test'] }),
    );
    assert.equal(trusted.verdict, 'verified');
    const untrusted = await assessTrust(input(withDisclaimer, 'alice@example.com'), settings(world()));
    assert.equal(untrusted.verdict, 'unverified');
  });
});

describe('the client IP from the trusted Received hop', () => {
  const received = [
    'from relay2.ours.test (relay2.ours.test [10.1.0.7]) by mx.ours.test (Postfix) with ESMTP id A1 for <support@ours.test>; Tue, 5 May 2026 10:00:03 +0000',
    'from mail.example.com (mail.example.com [192.0.2.10]) by relay2.ours.test (Postfix) with ESMTPS id B2; Tue, 5 May 2026 10:00:02 +0000',
    // written by a host we do not trust: never read
    'from forged.example (forged.example [198.51.100.99]) by mail.example.com; Tue, 5 May 2026 10:00:01 +0000',
  ];

  it('walks down past trusted relays to the first untrusted sender', () => {
    const hop = clientFromReceived(received, relayMatcher(['10.0.0.0/8']));
    assert.deepEqual(hop, { ip: '192.0.2.10', helo: 'mail.example.com', index: 1 });
  });

  it('with the relay not trusted it stops at the top', () => {
    assert.equal(clientFromReceived(received, relayMatcher(['10.2.0.0/16']))?.ip, '10.1.0.7');
  });

  it('reads the address literal in the comment, never a HELO literal, and IPv6', () => {
    assert.deepEqual(fromClause('from [192.0.2.1] (unknown [203.0.113.5]) by mx'), {
      helo: '[192.0.2.1]',
      ip: '203.0.113.5',
    });
    assert.deepEqual(fromClause('from host (host [IPv6:2001:db8::5]) by mx'), {
      helo: 'host',
      ip: '2001:db8::5',
    });
    assert.deepEqual(fromClause('from host (HELO x) (host [::ffff:192.0.2.3]) by mx'), {
      helo: 'host',
      ip: '192.0.2.3',
    });
    // the last literal of the comment is the peer; an earlier one is what the client said
    assert.deepEqual(fromClause('from x (helo=[198.51.100.1]) (x [203.0.113.5]) by mx'), {
      helo: 'x',
      ip: '203.0.113.5',
    });
    assert.deepEqual(fromClause('by mx.ours.test (Postfix, from userid 0)'), null);
    assert.throws(() => relayMatcher(['mx.ours.test']), /not an IP address/);
  });

  it('a fetched mail (no SMTP) uses the hop and passes SPF from there', async () => {
    const raw = mail('alice@example.com', [
      'Return-Path: <alice@example.com>',
      ...received.map((r) => `Received: ${r}`),
    ]);
    const v = await assessTrust(
      input(raw, 'alice@example.com'),
      settings(world(), { trustedRelays: ['10.0.0.0/8'] }),
    );
    assert.equal(v.verdict, 'verified');
    assert.equal(v.clientIp, '192.0.2.10');
    assert.deepEqual(v.spf, { result: 'pass', domain: 'example.com' });
  });

  it('without a trusted relay the same fetched mail gets no SPF, and p=reject makes it unverified', async () => {
    const raw = mail('alice@example.com', [
      'Return-Path: <alice@example.com>',
      ...received.map((r) => `Received: ${r}`),
    ]);
    const v = await assessTrust(input(raw, 'alice@example.com'), settings(world()));
    assert.equal(v.verdict, 'unverified');
    assert.equal(v.clientIp, null);
    assert.equal(v.spf, null);
  });

  it('SMTP from a trusted relay reads the hop below it; a forged hop under an untrusted one is not read', async () => {
    const forged = mail('alice@example.com', [
      'Received: from evil.attacker.test (evil.attacker.test [203.0.113.66]) by relay2.ours.test; Tue, 5 May 2026 10:00:02 +0000',
      'Received: from mail.example.com (mail.example.com [192.0.2.10]) by relay0.example.com; Tue, 5 May 2026 10:00:01 +0000',
    ]);
    const envelope = {
      remoteAddress: '::ffff:10.1.0.7',
      helo: 'relay2.ours.test',
      mailFrom: 'alice@example.com',
    };
    const v = await assessTrust(
      input(forged, 'alice@example.com', envelope),
      settings(world(), { trustedRelays: ['10.1.0.7'] }),
    );
    assert.equal(v.clientIp, '203.0.113.66');
    assert.equal(v.spf?.result, 'fail');
    assert.equal(v.verdict, 'unverified');
  });
});

describe('Authentication-Results parsing', () => {
  it('reads methods, properties, comments and quoted values', () => {
    const ar = parseAuthenticationResults(
      'mx.google.com (version 1);\r\n dkim=pass header.i=@example.com header.s=sel1 header.b="ab;c";\r\n spf = softfail (google.com: domain of x) smtp.mailfrom="x@example.com";\r\n dmarc=fail (p=QUARANTINE dis=NONE) header.from=Example.com',
    );
    assert.equal(ar?.authservId, 'mx.google.com');
    assert.deepEqual(
      ar?.entries.map((e) => [e.method, e.result]),
      [
        ['dkim', 'pass'],
        ['spf', 'softfail'],
        ['dmarc', 'fail'],
      ],
    );
    assert.equal(ar?.entries[0]?.props['header.b'], 'ab;c');
    assert.equal(ar?.entries[1]?.props['smtp.mailfrom'], 'x@example.com');
    assert.equal(ar?.entries[2]?.comment, 'p=QUARANTINE dis=NONE');
    assert.deepEqual(parseAuthenticationResults('mx.ours.test; none')?.entries, []);
  });
});

describe('trust policy (unverifiedMay)', () => {
  it('limits only unverified senders', () => {
    assert.equal(trustAllows('unverified', 'create', ['create']), true);
    assert.equal(trustAllows('unverified', 'update', ['create']), false);
    assert.equal(trustAllows('unverified', 'close', ['create', 'update']), false);
    assert.equal(trustAllows('unknown', 'close', ['create']), true);
    assert.equal(trustAllows('verified', 'reopen', []), true);
  });
});
