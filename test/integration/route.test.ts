// Route (seeds 003, 001): Mercury's phases in their fixed order, each altering, deleting,
// killing or diverting mail; deferred jobs; plugins; ServiceNow's inbound actions with type,
// condition, order and stop processing — all through a real `postroom start` and real SMTP.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { backends, waitFor } from '../support/engine.ts';
import { EngineSession, type ShownMessage } from '../support/engine-session.ts';

const plugin = fileURLToPath(new URL('../fixtures/plugins/screen-plugin.ts', import.meta.url));

function mail(o: { id: string; subject: string; from?: string; body?: string; headers?: string[]; to?: string }): string {
  return [
    `From: ${o.from ?? 'ann@customer.example'}`,
    `To: ${o.to ?? 'support@localhost'}`,
    `Subject: ${o.subject}`,
    `Message-ID: <${o.id}>`,
    'Date: Wed, 25 Nov 2026 10:00:00 +0000',
    ...(o.headers ?? []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body ?? 'Hello, something is broken.',
    '',
  ].join('\r\n');
}

const config = [
  'recordTypes: { INC: { prefix: INC, digits: 7 }, CASE: { prefix: CASE, digits: 7 } }',
  // Nothing listens there: the row is what this test looks at (delivery is webhooks.test.ts).
  'webhooks: { endpoints: { crm: { url: "http://127.0.0.1:9/hook", secret: route-test-secret-0123 } }, schedule: [1h] }',
  'mailboxes:',
  '  - { address: support@localhost, recordType: INC, loopbackDetectionInterval: 0, trust: { mode: off } }',
  '  - { address: sales@localhost, recordType: CASE, loopbackDetectionInterval: 0, trust: { mode: off } }',
  'rules:',
  '  plugins:',
  `    - { name: screen, module: ${JSON.stringify(plugin)}, options: { vipDomain: "@vip.example" } }`,
  '  preFilter:',
  '    - name: strip-ext',
  '      when: { subject: { contains: "[EXT] " } }',
  `      do: [{ alter: { subject: "{{ message.subject | remove_first: '[EXT] ' }}" } }]`,
  '    - name: drop-marked',
  '      when: { subject: { contains: "[pre-delete]" } }',
  '      do: [{ delete: true }]',
  '    - name: hold',
  '      when: { subject: { contains: "[later]" } }',
  '      do: [{ deferUntil: 3s }]',
  '  contentControl:',
  '    - name: lottery',
  '      tests:',
  '        - { when: { body: { contains: lottery } }, weight: 5 }',
  '        - { when: { subject: { matches: "winn(er|ing)" } }, weight: 5 }',
  '      threshold: 8',
  '      do: [{ kill: true }]',
  '  filters:',
  '    - name: to-sales',
  '      when: { subject: { contains: quote } }',
  '      do: [{ divert: sales@localhost }]',
  '    - name: halt',
  '      when: { subject: { contains: "[stop]" } }',
  '      do: [{ tag: halted }, { stop: true }]',
  '    - name: refuse',
  '      when: { subject: { contains: "[reject]" } }',
  '      do: [{ reject: { notice: "We do not accept {{ message.subject }} here." } }]',
  '    - name: escalate',
  '      when: { subject: { contains: "[escalate]" } }',
  '      do: [{ comment: "Escalated: {{ replyText }}" }, { forward: { to: boss@acme.example, note: "Please look at {{ record.number }}" } }, { redirect: { to: archive@acme.example } }, { webhook: crm }]',
  '    - name: after-halt',
  '      when: { subject: { contains: "[stop]" } }',
  '      do: [{ tag: never }]',
  '  postFilter:',
  '    - name: vip-seen',
  '      when: { all: [{ subject: { starts: "VIP: " } }, { tag: vip }] }',
  '      do: [{ tag: vip-after-plugin }]',
  '  inboundActions:',
  '    - name: urgent',
  '      type: new',
  '      order: 50',
  '      when: { subject: { contains: urgent } }',
  '      do: [{ createRecord: {} }, { setFields: { priority: "1" } }]',
  '      stopProcessing: true',
  '    - { name: create, type: new, order: 100, do: [{ createRecord: {} }, { tag: default }] }',
  '    - name: close-on-request',
  '      type: reply',
  '      order: 10',
  '      when: { replyText: { contains: "please close" } }',
  '      do: [{ updateRecord: true }, { setFields: { status: resolved } }]',
  '      stopProcessing: true',
  '    - { name: comment, type: reply, order: 100 }',
  '    - { name: forwarded, type: forward, order: 100 }',
];

for (const backend of backends()) {
  describe(`route phases and inbound actions through real intake (${backend})`, () => {
    let session: EngineSession;
    const send = (raw: string, to = ['support@localhost']): Promise<string> =>
      session.sendRaw(raw, { from: 'ann@customer.example', to });
    const show = async (id: string, mailbox?: string): Promise<ShownMessage> =>
      session.show((await session.settled(id, mailbox)).id);
    const record = async (number: string): Promise<{ status: string; tags: string[]; fields: Record<string, string>; requester: string; entries: { kind: string; text: string }[] }> =>
      JSON.parse((await session.cli('records', 'show', number, '--json')).stdout) as never;
    const stages = (m: ShownMessage): string[] => m.trace.map((t) => t.stage);

    before(async () => {
      session = await EngineSession.start(backend, config);
    });
    after(() => session?.close());

    it('runs the phases in the documented order, each visible in the trace', async () => {
      await send(mail({ id: 'order@vip.example', from: 'vera@vip.example', subject: '[EXT] printer broken' }));
      const m = await show('order@vip.example');
      assert.equal(m.state, 'processed');
      const order = ['deferred jobs', 'plugins', 'pre-filter', 'content control', 'filter', 'post-filter', 'inbound actions'].map((s) => stages(m).indexOf(s));
      assert.ok(order.every((i) => i >= 0), `stages ${stages(m).join(' > ')}`);
      assert.deepEqual([...order].sort((a, b) => a - b), order, `stages ${stages(m).join(' > ')}`);
      // The plugin altered the subject and tagged; the pre-filter stripped [EXT] from what the
      // plugin left; the post-filter saw both.
      const rec = await record(m.record!);
      assert.deepEqual(rec.tags.sort(), ['default', 'vip', 'vip-after-plugin']);
      assert.equal(m.subject, 'VIP: printer broken');
    });

    it('a pre-filter policy deletes the job', async () => {
      await send(mail({ id: 'pre@customer.example', subject: 'ignore me [pre-delete]' }));
      const m = await show('pre@customer.example');
      assert.equal(m.state, 'skipped');
      assert.equal(m.record, null);
      assert.ok(m.trace.some((t) => t.stage === 'pre-filter' && t.concluded.startsWith('rule drop-marked')));
    });

    it('a content control set scores the mail and kills it at its threshold', async () => {
      await send(mail({ id: 'cc@customer.example', subject: 'You are a winner', body: 'Claim your lottery prize' }));
      const m = await show('cc@customer.example');
      assert.equal(m.state, 'skipped');
      assert.ok(m.trace.some((t) => t.stage === 'content control' && /score 10/.test(t.concluded)));
      // one test alone stays under the threshold
      await send(mail({ id: 'cc2@customer.example', subject: 'We are winning', body: 'all good' }));
      assert.equal((await show('cc2@customer.example')).state, 'processed');
    });

    it('a filter rule diverts mail to another mailbox, whose record type applies', async () => {
      await send(mail({ id: 'quote@customer.example', subject: 'Need a quote' }));
      const m = await show('quote@customer.example');
      assert.match(m.record ?? '', /^CASE/);
      const listed = JSON.parse((await session.cli('messages', 'list', '--json')).stdout) as { messageId: string; routedMailbox: string | null }[];
      assert.equal(listed.find((x) => x.messageId === 'quote@customer.example')?.routedMailbox, 'sales@localhost');
    });

    it('stop ends the filter rules; later phases still run', async () => {
      await send(mail({ id: 'stop@customer.example', subject: 'please [stop] here' }));
      const m = await show('stop@customer.example');
      const rec = await record(m.record!);
      assert.deepEqual(rec.tags.sort(), ['default', 'halted']);
    });

    it('reject ends the mail as rejected and queues its notice to the sender', async () => {
      await send(mail({ id: 'rej@customer.example', subject: 'offer [reject]' }));
      const m = await show('rej@customer.example');
      assert.equal(m.state, 'rejected');
      assert.equal(m.record, null);
      const rows = JSON.parse((await session.cli('outbox', 'list', '--json')).stdout) as { kind: string; to: string[]; messageRef: number; subject: string }[];
      const notice = rows.find((r) => r.messageRef === m.id);
      assert.equal(notice?.kind, 'notice');
      assert.deepEqual(notice?.to, ['ann@customer.example']);
    });

    it('comment, forward and redirect: a comment on the record, the original forwarded and redirected', async () => {
      await send(mail({ id: 'esc@customer.example', subject: 'help [escalate]', body: 'The server room is flooded.' }));
      const m = await show('esc@customer.example');
      const rec = await record(m.record!);
      assert.ok(rec.entries.some((e) => e.kind === 'comment' && e.text === 'Escalated: The server room is flooded.'));
      const rows = JSON.parse((await session.cli('outbox', 'list', '--json')).stdout) as { kind: string; to: string[]; messageRef: number; automatic: boolean; subject: string }[];
      const mine = rows.filter((r) => r.messageRef === m.id).sort((a, b) => a.kind.localeCompare(b.kind));
      assert.deepEqual(mine.map((r) => [r.kind, r.to[0], r.automatic]), [['forward', 'boss@acme.example', false], ['redirect', 'archive@acme.example', false]]);
      // The rule's webhook action queued one event for this mail, naming the rule in its actions.
      const hooks = JSON.parse((await session.cli('webhooks', 'list', '--json')).stdout) as { message: number; endpoint: string }[];
      assert.deepEqual(hooks.filter((h) => h.message === m.id).map((h) => h.endpoint), ['crm']);
      // A reprocess decides again but sends nothing twice and adds no second comment.
      assert.equal((await session.cli('messages', 'reprocess', String(m.id))).code, 0);
      await waitFor(async () => (await session.show(m.id)).trace.filter((t) => t.concluded === 'forward already queued').length === 1, 20_000, 'the reprocess');
      const after = JSON.parse((await session.cli('outbox', 'list', '--json')).stdout) as { messageRef: number }[];
      assert.equal(after.filter((r) => r.messageRef === m.id).length, 2);
      assert.equal((await record(m.record!)).entries.filter((e) => e.kind === 'comment').length, 1);
      const hooksAfter = JSON.parse((await session.cli('webhooks', 'list', '--json')).stdout) as { message: number }[];
      assert.equal(hooksAfter.filter((h) => h.message === m.id).length, 1, 'one event per message and endpoint');
      assert.match(mine[0]!.subject, new RegExp(`^Fwd: help \\[escalate\\] \\[${m.record}\\]$`));
    });

    it('a plugin kills a job; a plugin that throws quarantines only that message, with its name', async () => {
      await send(mail({ id: 'pk@customer.example', subject: 'x [plugin-kill]' }));
      assert.equal((await show('pk@customer.example')).state, 'skipped');
      await send(mail({ id: 'pt@customer.example', subject: 'x [plugin-throw]' }));
      const failed = await show('pt@customer.example');
      assert.equal(failed.state, 'failed');
      assert.match(failed.error ?? '', /plugin screen failed: the plugin broke on purpose/);
      // the worker goes on
      await send(mail({ id: 'after-throw@customer.example', subject: 'still working' }));
      assert.equal((await show('after-throw@customer.example')).state, 'processed');
    });

    it('a deferred job is not opened before its time, then goes on', async () => {
      await send(mail({ id: 'later@customer.example', subject: 'do this [later]' }));
      // Judged from the settled message, not by catching the 3 s `deferred` state in passing: a
      // loaded machine's CLI call can outlast the timer.
      const m = await show('later@customer.example');
      assert.equal(m.state, 'processed');
      const shown = JSON.parse((await session.cli('messages', 'show', String(m.id), '--json')).stdout) as {
        finishedAt: string;
        receivedAt: string;
        deferUntil: string | null;
      };
      assert.ok(shown.deferUntil, 'the job carried a timer');
      const due = Date.parse(shown.deferUntil);
      assert.equal(due - Date.parse(shown.receivedAt), 3000);
      assert.ok(Date.parse(shown.finishedAt) >= due, 'opened only after its timer');
      assert.ok(m.trace.some((t) => t.stage === 'deferred jobs' && t.concluded === 'due: opened'));
      assert.ok(m.trace.some((t) => t.stage === 'pre-filter' && t.concluded === 'timer served'));
    });

    it('a plugin defers a job too', async () => {
      await send(mail({ id: 'pd@customer.example', subject: 'x [plugin-defer]' }));
      const m = await show('pd@customer.example');
      assert.equal(m.state, 'processed');
      assert.ok(m.trace.some((t) => t.stage === 'deferred jobs'));
    });

    it('inbound actions: order and stop processing decide which actions run', async () => {
      await send(mail({ id: 'urgent@customer.example', subject: 'urgent: server down' }));
      const urgent = await record((await show('urgent@customer.example')).record!);
      assert.equal(urgent.fields['priority'], '1');
      assert.deepEqual(urgent.tags, [], 'stop processing kept the later "create" action from running');
      await send(mail({ id: 'plain@customer.example', subject: 'mouse broken' }));
      assert.deepEqual((await record((await show('plain@customer.example')).record!)).tags, ['default']);
    });

    it('inbound actions: a reply adds a comment to the INC record and reopens it when resolved', async () => {
      await send(mail({ id: 'ticket@customer.example', subject: 'laptop slow' }));
      const number = (await show('ticket@customer.example')).record!;
      const reply = (id: string, body: string): string =>
        mail({ id, subject: `Re: laptop slow`, body, headers: ['In-Reply-To: <ticket@customer.example>', 'References: <ticket@customer.example>'] });
      await send(reply('close@customer.example', 'Works now, please close it.'));
      assert.equal((await show('close@customer.example')).record, number);
      assert.equal((await record(number)).status, 'resolved');
      await send(reply('again@customer.example', 'It is slow again.\n\n> Works now'));
      const again = await show('again@customer.example');
      assert.equal(again.record, number);
      const rec = await record(number);
      assert.equal(rec.status, 'open', 'a reply reopened the resolved record');
      assert.ok(rec.entries.some((e) => e.kind === 'comment' && e.text.startsWith('It is slow again.')));
      assert.ok(again.trace.some((t) => t.concluded === 'reopen'));
    });

    it('inbound actions: a forward opens a record crediting the original sender', async () => {
      const body = [
        'Can you help this customer?',
        '',
        '---------- Forwarded message ---------',
        'From: Carol Customer <carol@customer.example>',
        'Date: Tue, 24 Nov 2026 09:00:00 +0000',
        'Subject: Invoice wrong',
        'To: sales@acme.example',
        '',
        'My invoice is wrong.',
      ].join('\r\n');
      await send(mail({ id: 'fwd@acme.example', from: 'sam@acme.example', subject: 'Fwd: Invoice wrong', body }));
      const m = await show('fwd@acme.example');
      assert.equal((await record(m.record!)).requester, 'carol@customer.example');
    });
  });
}
