// `postroom rules test`: a changed rule tried on 100 stored mails shows what would change
// against what was applied, per message and per rule, and applies nothing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backends, waitFor } from '../support/engine.ts';
import { EngineSession } from '../support/engine-session.ts';

interface Side {
  state: string;
  class: string | null;
  record: string | null;
  actions: string[];
}
interface Report {
  messages: { id: number | null; subject: string; applied: Side | null; wouldBe: Side; changed: boolean }[];
  rules: { phase: string; rule: string; applied: number; wouldFire: number }[];
  total: number;
  changed: number;
}

const subjects = (i: number): string => (i % 5 === 0 ? `Invoice ${i} wrong` : i % 5 === 1 ? `Refund ${i} please` : `Question ${i}`);

for (const backend of backends()) {
  describe(`rules test on 100 stored mails (${backend})`, () => {
    let session: EngineSession;

    before(async () => {
      session = await EngineSession.start(backend, [
        'recordTypes: { INC: { prefix: INC, digits: 7 } }',
        'mailboxes:',
        '  - { address: support@localhost, recordType: INC, loopbackDetectionInterval: 0, trust: { mode: off } }',
        'rules:',
        '  filters:',
        '    - { name: billing, when: { subject: { contains: invoice } }, do: [{ tag: billing }] }',
        '    - { name: junk, when: { subject: { contains: "[junk]" } }, do: [{ delete: true }] }',
      ]);
      for (let i = 0; i < 100; i++)
        await session.sendRaw(
          [`From: c${i}@customer.example`, 'To: support@localhost', `Subject: ${subjects(i)}`, `Message-ID: <m${i}@customer.example>`, '', `Mail ${i}.`, ''].join('\r\n'),
          { from: `c${i}@customer.example`, to: ['support@localhost'] },
        );
      await waitFor(async () => (await session.settledIn('support@localhost')).length === 100, 120_000, '100 mails to be processed');
    });
    after(() => session?.close());

    it('shows per message and per rule what a changed rule would do, and applies nothing', async () => {
      const records = async (): Promise<number> => (JSON.parse((await session.cli('records', 'list', '--json')).stdout) as unknown[]).length;
      const before = await records();
      assert.equal(before, 100);
      const file = join(session.dir, 'changed-rules.yaml');
      // billing now catches refunds instead of invoices; refunds of 1xx… are dropped as junk.
      writeFileSync(
        file,
        [
          'filters:',
          '  - { name: billing, when: { subject: { contains: refund } }, do: [{ tag: billing }] }',
          '  - { name: junk, when: { subject: { matches: "^Refund 1\\\\d " } }, do: [{ delete: true }] }',
        ].join('\n'),
      );
      const result = await session.cli('rules', 'test', '--rules', file, '--json');
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as Report;
      assert.equal(report.total, 100);
      // 20 invoices lose the rule, 20 refunds gain it (2 of them, Refund 11 and 16, are dropped instead … and still count as changed)
      assert.equal(report.changed, 40);
      const byRule = Object.fromEntries(report.rules.map((r) => [`${r.phase}: ${r.rule}`, r]));
      assert.deepEqual(byRule['filter: billing'], { phase: 'filter', rule: 'billing', applied: 20, wouldFire: 20 });
      assert.deepEqual(byRule['filter: junk'], { phase: 'filter', rule: 'junk', applied: 0, wouldFire: 2 });
      const invoice = report.messages.find((m) => m.subject === 'Invoice 5 wrong')!;
      assert.equal(invoice.changed, true);
      assert.deepEqual(invoice.applied?.actions, ['filter: billing']);
      assert.deepEqual(invoice.wouldBe.actions, []);
      const dropped = report.messages.find((m) => m.subject === 'Refund 11 please')!;
      assert.equal(dropped.applied?.state, 'processed');
      assert.equal(dropped.wouldBe.state, 'skipped');
      assert.equal(dropped.wouldBe.record, null);
      const same = report.messages.find((m) => m.subject === 'Question 2')!;
      assert.equal(same.changed, false);
      assert.match(same.applied?.record ?? '', /^new INC \(INC\d{7}\)$/);

      // The text form prints the same diff and the per-rule table.
      const text = await session.cli('rules', 'test', '--rules', file);
      assert.match(text.stdout, /~ #\d+ "Refund 11 please"\n {4}state: {3}processed → skipped/);
      assert.match(text.stdout, /100 messages, 40 would change/);
      assert.match(text.stdout, /filter: billing\s+20\s+20/);

      // Nothing was applied.
      assert.equal(await records(), before);
      assert.equal((await session.list()).filter((m) => m.state === 'skipped').length, 0);
    });

    it('the configured rules against their own results change nothing', async () => {
      const report = JSON.parse((await session.cli('rules', 'test', '--json')).stdout) as Report;
      assert.equal(report.total, 100);
      assert.equal(report.changed, 0);
    });

    it('a broken rules file is a config error naming the key', async () => {
      const file = join(session.dir, 'broken-rules.yaml');
      writeFileSync(file, 'filters:\n  - { name: x, when: { subject: { contians: a } }, do: [{ tag: y }] }\n');
      const result = await session.cli('rules', 'test', '--rules', file);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /rules\.filters\[0\]\.when\.subject\.contians: unknown operator/);
    });
  });
}
