// Loop limits (issue 6): two mailboxes of one Postroom that auto-answer each other. With the
// headers intact the exchange stops at once (our answer is an auto-reply to the other side);
// through a relay that strips every such header it stops at the configured per-sender limit.
// An out-of-office to an acknowledgement gets no answer. Real SMTP throughout: answers leave
// through the outbox sender into a relay (smtp-server) that hands them back to the engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { backends, freePort, waitFor } from '../support/engine.ts';
import { EngineSession } from '../support/engine-session.ts';

interface OutboxJson {
  id: number;
  state: string;
  mailbox: string;
  kind: string;
  automatic: boolean;
  to: string[];
  messageRef: number | null;
}

/** Receives mail and passes it on to the engine, dropping what marks it as automatic when `strip`. */
async function startRelay(target: () => number, strip: boolean): Promise<{ port: number; relayed: () => number; close: () => Promise<void> }> {
  let relayed = 0;
  const port = await freePort();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        let raw = Buffer.concat(chunks).toString('utf8');
        if (strip) {
          const end = raw.indexOf('\r\n\r\n');
          const head = raw
            .slice(0, end)
            .replace(/\r\n[ \t]/g, ' ')
            .split('\r\n')
            .filter((line) => !/^(auto-submitted|x-auto-response-suppress|x-postroom-[^:]*|precedence|message-id):/i.test(line));
          // A relay that also renames the mail: our signed Message-ID no longer marks it as ours.
          head.push(`Message-ID: <relayed-${relayed}-${Date.now()}@relay.example>`);
          raw = `${head.join('\r\n')}${raw.slice(end)}`;
        }
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        const transport = nodemailer.createTransport({ host: '127.0.0.1', port: target(), secure: false, ignoreTLS: true });
        transport
          .sendMail({ envelope, raw })
          .then(() => {
            relayed++;
            callback();
          })
          .catch((err: Error) => callback(err))
          .finally(() => transport.close());
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, relayed: () => relayed, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function mail(o: { id: string; from: string; to: string; subject: string; headers?: string[] }): string {
  return [`From: ${o.from}`, `To: ${o.to}`, `Subject: ${o.subject}`, `Message-ID: <${o.id}>`, 'Date: Wed, 25 Nov 2026 10:00:00 +0000', ...(o.headers ?? []), '', 'Hello.', ''].join('\r\n');
}

for (const backend of backends()) {
  describe(`loop limits through real SMTP (${backend})`, () => {
    let session: EngineSession;
    let relay: Awaited<ReturnType<typeof startRelay>>;
    const outbox = async (): Promise<OutboxJson[]> => JSON.parse((await session.cli('outbox', 'list', '--json')).stdout) as OutboxJson[];

    before(async () => {
      let enginePort = 0;
      relay = await startRelay(() => enginePort, true);
      session = await EngineSession.start(backend, (port) => {
        enginePort = port;
        const box = (address: string, outboundPort: number): string =>
          `  - { address: ${address}, recordType: INC, loopbackDetectionInterval: 0, trust: { mode: off }, outbound: { host: 127.0.0.1, port: ${outboundPort}, tls: false } }`;
        return [
          'recordTypes: { INC: { prefix: INC, digits: 7 } }',
          'outbox: { attempts: 3, base: 1s, max: 2s }',
          'loopLimits: { window: 1h, perSender: 3, perRecord: 50 }',
          'mailboxes:',
          // a and b answer each other through the stripping relay; c and d directly
          box('a@localhost', relay.port),
          box('b@localhost', relay.port),
          box('c@localhost', port),
          box('d@localhost', port),
          'rules:',
          '  inboundActions:',
          '    - { name: ack, type: new, do: [{ createRecord: {} }, { reply: { template: "We got it: {{ record.number }}" } }] }',
          '    - { name: noted, type: reply, do: [{ updateRecord: true }, { reply: { template: "Noted on {{ record.number }}" } }] }',
        ];
      });
    });
    after(async () => {
      await session?.close();
      await relay?.close();
    });

    it('headers intact: an acknowledgement is our own mail to the other side, which answers nothing', async () => {
      await session.sendRaw(mail({ id: 'd-to-c@localhost', from: 'd@localhost', to: 'c@localhost', subject: 'hello c' }), { from: 'd@localhost', to: ['c@localhost'] });
      await session.settled('d-to-c@localhost', 'c@localhost');
      // c's acknowledgement reaches d through the engine's own SMTP listener
      await waitFor(async () => (await session.settledIn('d@localhost')).length === 1, 20_000, "c's answer to reach d");
      const atD = (await session.settledIn('d@localhost'))[0]!;
      // Our X-Postroom header and signed Message-ID say it is our own mail coming back (its
      // Auto-Submitted would say auto-reply, one check later).
      assert.equal(atD.class, 'loopback');
      assert.equal(atD.state, 'loopback');
      const rows = (await outbox()).filter((r) => r.mailbox === 'c@localhost' || r.mailbox === 'd@localhost');
      assert.equal(rows.length, 1, 'one answer, none to the answer');
      assert.equal(rows[0]!.state, 'sent');
    });

    it('an out-of-office to an acknowledgement gets no answer', async () => {
      const before = (await outbox()).length;
      await session.sendRaw(
        mail({ id: 'ooo@customer.example', from: 'ann@customer.example', to: 'c@localhost', subject: 'Out of office: Re: hello [INC0000001]', headers: ['Auto-Submitted: auto-replied'] }),
        { from: 'ann@customer.example', to: ['c@localhost'] },
      );
      const m = await session.settled('ooo@customer.example', 'c@localhost');
      assert.equal(m.class, 'auto_reply');
      assert.equal((await outbox()).length, before);
    });

    it('headers stripped by a relay: the exchange stops at the per-sender limit, and the trace says so', async () => {
      await session.sendRaw(mail({ id: 'b-to-a@localhost', from: 'b@localhost', to: 'a@localhost', subject: 'hello a' }), { from: 'b@localhost', to: ['a@localhost'] });
      // Quiet means: every answer sent, and every relayed answer settled, for a while.
      let last = -1;
      let stableSince = Date.now();
      await waitFor(
        async () => {
          const rows = (await outbox()).filter((r) => r.mailbox === 'a@localhost' || r.mailbox === 'b@localhost');
          const settled = (await session.settledIn('a@localhost')).length + (await session.settledIn('b@localhost')).length;
          const busy = rows.some((r) => r.state === 'queued' || r.state === 'sending') || settled !== relay.relayed() + 1;
          const size = rows.length + settled;
          if (busy || size !== last) {
            last = size;
            stableSince = Date.now();
            return false;
          }
          return Date.now() - stableSince > 3000;
        },
        90_000,
        'the exchange to stop',
      );
      const rows = (await outbox()).filter((r) => r.mailbox === 'a@localhost' || r.mailbox === 'b@localhost');
      const toB = rows.filter((r) => r.to[0] === 'b@localhost');
      const toA = rows.filter((r) => r.to[0] === 'a@localhost');
      assert.equal(toB.length, 3, 'a answered b three times (loopLimits.perSender), then held back');
      assert.equal(toA.length, 3, 'b answered a three times, then held back');
      assert.equal(relay.relayed(), 6);
      const settled = [...(await session.settledIn('a@localhost')), ...(await session.settledIn('b@localhost'))];
      assert.equal(settled.length, 7, 'the first mail and the six relayed answers');
      const held = [];
      for (const m of settled) {
        const shown = await session.show(m.id);
        if (shown.trace.some((t) => t.stage === 'outbound' && t.concluded === 'held back' && /loop limit: 3 automatic answers to/.test(t.why))) held.push(m.id);
      }
      assert.equal(held.length, 1, 'the last answer was held back by the limit, visible in its trace');
    });
  });
}
