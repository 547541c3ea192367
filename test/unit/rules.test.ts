import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rulesSchema } from '../../src/config/rules-schema.ts';
import { configSchema } from '../../src/config/schema.ts';
import { matches } from '../../src/decide/route/conditions.ts';
import type { RuleSubject } from '../../src/decide/route/rule-subject.ts';
import type { Condition } from '../../src/core/rules.ts';
import { renderTemplate } from '../../src/domain/rules/templates.ts';
import { caseFold } from '../../src/core/case-fold.ts';

function subject(over: Partial<RuleSubject> = {}): RuleSubject {
  return {
    mailbox: 'support@example.com',
    subject: 'Printer on floor 3 is broken',
    text: 'Hello, the printer is broken again.',
    replyText: 'Hello, the printer is broken again.',
    headers: { 'x-priority': ['1 (Highest)'], 'list-id': [] },
    from: 'ann@customer.example',
    to: ['support@example.com'],
    cc: ['boss@customer.example'],
    attachments: [{ ordinal: 0, filename: 'photo.JPG', contentType: 'image/jpeg', size: 250_000, sha256: 'x', contentId: null, inline: false }],
    size: 300_000,
    class: 'general',
    category: 'new',
    identity: null,
    loopback: false,
    autoSubmitted: false,
    list: null,
    tags: [],
    score: 0,
    receivedAt: Date.parse('2026-11-25T19:30:00Z'), // a Wednesday, 20:30 in Berlin
    ...over,
  };
}

function condition(yaml: unknown): Condition {
  const set = rulesSchema.parse({ filters: [{ name: 't', when: yaml, do: [{ tag: 'x' }] }] });
  return set.filters[0]!.when!;
}

const holds = (when: unknown, over: Partial<RuleSubject> = {}): boolean => matches(condition(when), subject(over));

describe('conditions', () => {
  test('operators: equals, contains, starts, ends, matches, isAnyOf, case-insensitive by default', () => {
    assert.ok(holds({ from: 'ANN@customer.example' }));
    assert.ok(holds({ subject: { contains: 'BROKEN' } }));
    assert.ok(!holds({ subject: { contains: 'BROKEN', caseSensitive: true } }));
    assert.ok(holds({ subject: { starts: 'printer' } }));
    assert.ok(holds({ fromDomain: { ends: '.example' } }));
    assert.ok(holds({ subject: { matches: 'floor \\d+' } }));
    assert.ok(holds({ fromDomain: { isAnyOf: ['other.example', 'customer.example'] } }));
    assert.ok(holds({ fromDomain: { 'is any of': ['customer.example'] } }));
    assert.ok(holds({ cc: ['boss@customer.example'] }));
    assert.ok(!holds({ to: { contains: 'sales' } }));
  });

  test('headers, attachments, size, flags', () => {
    assert.ok(holds({ header: { name: 'X-Priority', starts: '1' } }));
    assert.ok(!holds({ header: { name: 'X-Missing', contains: '' } }));
    assert.ok(holds({ attachmentName: { ends: '.jpg' } }));
    assert.ok(holds({ attachmentType: { starts: 'image/' } }));
    assert.ok(holds({ attachmentSize: { atLeast: '200KB' } }));
    assert.ok(!holds({ size: { atLeast: '1MB' } }));
    assert.ok(holds({ attachments: { equals: 1 } }));
    assert.ok(holds({ hasAttachments: true }));
    assert.ok(holds({ loopback: false }));
    assert.ok(holds({ class: { isAnyOf: ['general', 'list'] } }));
    assert.ok(holds({ sender: 'guest' }, { identity: { address: 'ann@customer.example', party: null, guest: true, trust: 'unknown', unverifiedMay: [] } }));
    assert.ok(holds({ trust: 'unverified' }, { identity: { address: 'x@y', party: null, guest: true, trust: 'unverified', unverifiedMay: [] } }));
  });

  test('all, any, not, and several keys side by side meaning all', () => {
    assert.ok(holds({ all: [{ subject: { contains: 'printer' } }, { not: { subject: { contains: 'toner' } } }] }));
    assert.ok(holds({ any: [{ subject: { contains: 'toner' } }, { body: { contains: 'again' } }] }));
    assert.ok(!holds({ subject: { contains: 'printer' }, fromDomain: 'other.example' }));
  });

  test('time of day in a zone, spanning midnight, and weekdays', () => {
    assert.ok(holds({ time: { from: '18:00', to: '08:00', zone: 'Europe/Berlin' } }));
    assert.ok(!holds({ time: { from: '08:00', to: '18:00', zone: 'Europe/Berlin' } }));
    assert.ok(holds({ time: { days: ['wed'], zone: 'UTC' } }));
    assert.ok(!holds({ time: { days: ['sat', 'sun'] } }));
  });

  test("a regular expression that backtracks catastrophically still finishes (V8's linear-time fallback)", () => {
    const hostile = `${'a'.repeat(5000)}!`;
    assert.equal(holds({ body: { matches: '^(a+)+$' } }, { text: hostile }), false);
  });
});

describe('case folding for flag-less patterns', () => {
  test('letters get both cases; escapes, classes and group names keep their meaning', () => {
    assert.equal(caseFold('Order #\\d+'), '[oO][rR][dD][eE][rR] #\\d+');
    assert.equal(caseFold('[a-f0-9]x'), '[a-fA-F0-9][xX]');
    assert.equal(caseFold('\\S\\u00e4\\p{L}(?<Num>\\d)\\k<Num>'), '\\S\\u00e4\\p{L}(?<Num>\\d)\\k<Num>');
    assert.ok(new RegExp(caseFold('straße|ÄRGER')).test('STRASSE ärger'));
    assert.ok(new RegExp(caseFold('invoice\\s+no')).test('INVOICE   NO 5'));
  });
});

describe('rule config errors name the key', () => {
  const issues = (rules: unknown): string[] => {
    const result = configSchema.safeParse({ rules });
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  test('unknown action, operator, condition; bad regex and template', () => {
    const found = issues({
      filters: [
        { name: 'a', when: { subjct: 'x' }, do: [{ rejct: true }] },
        { name: 'b', when: { subject: { contians: 'x' } }, do: [{ reply: 'Hi {{ record.number' }] },
        { name: 'c', when: { body: { matches: '(' } }, do: [{ tag: 'x' }] },
      ],
      inboundActions: [{ name: 'd', type: 'nw' }],
    });
    assert.ok(found.some((l) => l.startsWith('rules.filters.0.when.subjct: unknown condition')), found.join('\n'));
    assert.ok(found.some((l) => l.startsWith('rules.filters.0.do.0.rejct: unknown action; known: createRecord')), found.join('\n'));
    assert.ok(found.some((l) => l.startsWith('rules.filters.1.when.subject.contians: unknown operator')), found.join('\n'));
    assert.ok(found.some((l) => l.startsWith('rules.filters.1.do.0.reply.template: is not a valid template')), found.join('\n'));
    assert.ok(found.some((l) => l.startsWith('rules.filters.2.when.body.matches: is not a valid regular expression')), found.join('\n'));
    assert.ok(found.some((l) => l.startsWith('rules.inboundActions.0.type: expected new, reply or forward')), found.join('\n'));
  });

  test('names a rule uses must exist: endpoints, mailboxes, record types', () => {
    const found = issues({
      filters: [{ name: 'a', do: [{ webhook: 'crm' }, { divert: 'nobody@example.com' }, { createRecord: { type: 'NOPE' } }] }],
    });
    assert.ok(found.some((l) => /webhook: endpoint "crm" is not defined under webhooks.endpoints/.test(l)), found.join('\n'));
    assert.ok(found.some((l) => /divert: mailbox "nobody@example.com" is not configured/.test(l)), found.join('\n'));
    assert.ok(found.some((l) => /createRecord: record type "NOPE" is not defined/.test(l)), found.join('\n'));
  });

  test('inbound actions run by order, then as listed', () => {
    const set = rulesSchema.parse({
      inboundActions: [
        { name: 'late', type: 'new', order: 200 },
        { name: 'first', type: 'new', order: 10 },
        { name: 'tie', type: 'new' },
        { name: 'tie2', type: 'new' },
      ],
    });
    assert.deepEqual(set.inboundActions.map((a) => a.name), ['first', 'tie', 'tie2', 'late']);
  });
});

describe('templates', () => {
  test('record fields, reply text and watermark; no code runs', () => {
    const vars = {
      record: { number: 'INC0000042', type: 'INC', subject: 'VPN', status: 'open', assignee: null, tags: [], fields: { priority: '1' } },
      message: { subject: 'VPN', from: 'ann@x', fromName: 'Ann', to: [], date: '', text: '', messageId: null },
      replyText: 'It fails.',
      watermark: 'Ref:MSG0000001_abc',
      mailbox: 'support@example.com',
    };
    assert.equal(renderTemplate('{{ record.number }} ({{ record.fields.priority }}): {{ replyText }} {{ watermark }}', vars), 'INC0000042 (1): It fails. Ref:MSG0000001_abc');
    assert.equal(renderTemplate('{{ record.constructor.constructor }}', vars), '');
  });
});
