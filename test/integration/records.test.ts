// Records, numbers, watermarks and evidence-scored threading (seed 001) through a real
// `postroom start` and real SMTP, on every backend.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { prepareOutgoing } from '../../src/domain/records/outgoing.ts';
import { openStore } from '../../src/store/open-store.ts';
import { backends } from '../support/engine.ts';
import { EngineSession, type ShownMessage } from '../support/engine-session.ts';

const signing = { secret: 'records-test-secret-0123456789', domain: 'postroom.test' };
const trustedMta = 'mx.postroom.test';
const trust = `trust: { mode: trust-header, trustedAuthservIds: [${trustedMta}] }`;

function mail(o: { id: string; from?: string; subject: string; headers?: string[]; body?: string; dmarc?: 'pass' | 'fail'; to?: string }): string {
  const from = o.from ?? 'ann@customer.example';
  const domain = from.slice(from.indexOf('@') + 1);
  return [
    // What the MTA in front of Postroom (trusted by its authserv-id) found.
    `Authentication-Results: ${trustedMta}; dmarc=${o.dmarc ?? 'pass'} (p=reject) header.from=${domain}`,
    `From: ${from}`,
    `To: ${o.to ?? 'support@localhost'}`,
    `Subject: ${o.subject}`,
    `Message-ID: <${o.id}>`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    ...(o.headers ?? []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body ?? 'Hello.',
    '',
  ].join('\r\n');
}

for (const backend of backends()) {
  describe(`records and threading through real intake (${backend})`, () => {
    let session: EngineSession;
    const settled = (id: string, mailbox = 'support@localhost') => session.settled(id, mailbox);
    const show = (m: { id: number }): Promise<ShownMessage> => session.show(m.id);
    const send = async (raw: string, to: string[] = ['support@localhost']): Promise<void> => {
      await session.sendRaw(raw, { from: 'bounce@customer.example', to });
    };

    before(async () => {
      session = await EngineSession.start(backend, [
            'recordTypes: { INC: { prefix: INC, digits: 7, start: 10061 } }',
            `signing: { secret: ${signing.secret}, domain: ${signing.domain} }`,
            'mailboxes:',
            `  - { address: support@localhost, recordType: INC, ${trust} }`,
            `  - { address: help@localhost, recordType: INC, ${trust} }`,
            `  - { address: sales@localhost, recordType: INC, fanOut: separate, ${trust} }`,
      ]);
    });
    after(() => session?.close());

    let outgoing: { messageId: string; watermark: string };

    it('numbers records as configured: INC + 7 digits from 10061', async () => {
      await send(mail({ id: 'first@customer.example', subject: 'VPN does not connect', headers: ['Cc: carl@customer.example'] }));
      const first = await settled('first@customer.example');
      assert.equal(first.record, 'INC0010061');
      assert.equal(first.outcome, 'created');
      // What outbound will do for every mail it sends about the record: a signed Message-ID and a watermark.
      const store = await openStore(session.url, `${session.dir}/data`);
      try {
        const record = (await store.listRecords(10)).find((r) => r.number === 'INC0010061')!;
        outgoing = await store.transaction((tx) => prepareOutgoing(tx, record, signing, Date.now()));
      } finally {
        await store.close();
      }
      assert.match(outgoing.messageId, /^pr\.INC0010061\.[\w-]+\.[\w-]{22}@postroom\.test$/);
      assert.match(outgoing.watermark, /^Ref:MSG\d{7}_[A-Za-z0-9]{20}$/);
    });

    it('a reply whose In-Reply-To is our signed Message-ID attaches (strong evidence, signature verified)', async () => {
      await send(mail({ id: 'r1@customer.example', subject: 'Re: VPN does not connect', headers: [`In-Reply-To: <${outgoing.messageId}>`] }));
      const m = await settled('r1@customer.example');
      assert.equal(m.record, 'INC0010061');
      assert.equal(m.outcome, 'attached');
      const trace = await show(m);
      assert.ok(trace.trace.some((t) => t.concluded === 'thread-header → INC0010061 (strong)' && /signature verified/.test(t.why)));
    });

    it('the watermark alone attaches (a client that drops thread headers, a new subject)', async () => {
      await send(mail({ id: 'r2@customer.example', subject: 'still broken', body: `It fails again.\r\n\r\n> ${outgoing.watermark}` }));
      const m = await settled('r2@customer.example');
      assert.equal(m.record, 'INC0010061');
      assert.ok((await show(m)).trace.some((t) => /^watermark → INC0010061 \(strong\)/.test(t.concluded)));
    });

    it('Re: + the number from the requester attaches; from a stranger it opens a new record and says why', async () => {
      await send(mail({ id: 'r3@customer.example', subject: 'Re: INC0010061 one more thing' }));
      assert.equal((await settled('r3@customer.example')).record, 'INC0010061', 'the requester');
      await send(mail({ id: 'cc@customer.example', from: 'carl@customer.example', subject: 'RE: INC0010061 me too' }));
      assert.equal((await settled('cc@customer.example')).record, 'INC0010061', 'a watcher (on Cc of the first mail)');

      await send(mail({ id: 'x1@stranger.example', from: 'eve@stranger.example', subject: 'Re: INC0010061 please close this' }));
      const m = await settled('x1@stranger.example');
      assert.notEqual(m.record, 'INC0010061');
      assert.equal(m.outcome, 'created');
      const trace = await show(m);
      assert.ok(trace.trace.some((t) => t.concluded === 'open a new record' && /neither the requester nor a watcher of INC0010061/.test(t.why)));
    });

    it('a forged signed Message-ID is ignored', async () => {
      const forged = `pr.INC0010061.AAAAAAAAAAAA.${'B'.repeat(22)}@postroom.test`;
      await send(mail({ id: 'x2@stranger.example', from: 'eve@stranger.example', subject: 'Re: VPN', headers: [`In-Reply-To: <${forged}>`] }));
      const m = await settled('x2@stranger.example');
      assert.notEqual(m.record, 'INC0010061');
      assert.ok((await show(m)).trace.some((t) => /signature is wrong/.test(t.why)));
    });

    it("spoofing: the requester's From failing DMARC does not update the record, even with our Message-ID", async () => {
      await send(mail({ id: 'spoof@customer.example', subject: 'Re: VPN does not connect', dmarc: 'fail', headers: [`In-Reply-To: <${outgoing.messageId}>`] }));
      const m = await settled('spoof@customer.example');
      assert.notEqual(m.record, 'INC0010061');
      assert.equal(m.outcome, 'created');
      const trace = await show(m);
      assert.ok(trace.trace.some((t) => t.stage === 'identify' && t.concluded === 'unverified'));
      assert.ok(trace.trace.some((t) => t.concluded === 'open a new record instead' && /unverified/.test(t.why)));
    });

    it('the same mail to two monitored addresses is one record; with fanOut: separate each gets its own', async () => {
      await send(mail({ id: 'both@customer.example', subject: 'Printer', to: 'support@localhost, help@localhost' }), ['support@localhost', 'help@localhost']);
      const a = await settled('both@customer.example', 'support@localhost');
      const b = await settled('both@customer.example', 'help@localhost');
      assert.ok(a.record);
      assert.equal(b.record, a.record, 'one record');
      assert.deepEqual([a.outcome, b.outcome].sort(), ['attached', 'created']);

      await send(mail({ id: 'split@customer.example', subject: 'Quote', to: 'help@localhost, sales@localhost' }), ['help@localhost', 'sales@localhost']);
      const c = await settled('split@customer.example', 'help@localhost');
      const d = await settled('split@customer.example', 'sales@localhost');
      assert.ok(c.record && d.record);
      assert.notEqual(c.record, d.record, 'sales keeps its own record');
    });
  });
}
