import { guardRegExps } from '../../core/regexp-guard.ts';
import { caseFold } from '../../core/case-fold.ts';
import type { Condition, NumberTest, TextField, TextTest } from '../../core/rules.ts';
import type { RuleSubject } from './rule-subject.ts';

// The time limit on `matches`: a pattern that backtracks too much is switched to V8's
// linear-time engine (guardRegExps), so (a+)+$ on hostile mail cannot stall a worker; texts
// are also capped, since rules look at the head of a body, not at megabytes of it.
guardRegExps();
const TEXT_CAP = 256 * 1024;
const compiled = new Map<string, RegExp>();

function regex(pattern: string, caseSensitive: boolean): RegExp {
  const key = `${caseSensitive ? 's' : 'i'}${pattern}`;
  let re = compiled.get(key);
  if (!re) {
    // No flags: the linear-time fallback runs only flag-less patterns (see caseFold).
    re = new RegExp(caseSensitive ? pattern : caseFold(pattern));
    compiled.set(key, re);
  }
  return re;
}

function testText(value: string, t: TextTest): boolean {
  const v = value.length > TEXT_CAP ? value.slice(0, TEXT_CAP) : value;
  if (t.op === 'matches') return regex(t.values[0] ?? '', t.caseSensitive).test(v);
  const a = t.caseSensitive ? v : v.toLowerCase();
  return t.values.some((raw) => {
    const b = t.caseSensitive ? raw : raw.toLowerCase();
    switch (t.op) {
      case 'equals':
      case 'isAnyOf':
        return a === b;
      case 'contains':
        return a.includes(b);
      case 'starts':
        return a.startsWith(b);
      case 'ends':
        return a.endsWith(b);
    }
    return false;
  });
}

function testNumber(value: number, t: NumberTest): boolean {
  return t.values.some((n) =>
    t.op === 'atLeast' ? value >= n : t.op === 'atMost' ? value <= n : value === n,
  );
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1);

/** The values a text field has; a condition holds when any of them passes. */
function textValues(s: RuleSubject, field: TextField): string[] {
  switch (field) {
    case 'from':
      return [s.from];
    case 'fromDomain':
      return [domainOf(s.from)];
    case 'to':
      return s.to;
    case 'toDomain':
      return s.to.map(domainOf);
    case 'cc':
      return s.cc;
    case 'ccDomain':
      return s.cc.map(domainOf);
    case 'recipient':
      return [...s.to, ...s.cc];
    case 'recipientDomain':
      return [...s.to, ...s.cc].map(domainOf);
    case 'subject':
      return [s.subject];
    case 'body':
      return [s.text];
    case 'replyText':
      return [s.replyText];
    case 'attachmentName':
      return s.attachments.map((a) => a.filename);
    case 'attachmentType':
      return s.attachments.map((a) => a.contentType);
    case 'class':
      return [s.class];
    case 'category':
      return [s.category];
    case 'sender':
      return [s.identity?.party?.kind ?? (s.identity?.guest ? 'guest' : 'unknown')];
    case 'senderId':
      return s.identity?.party ? [s.identity.party.id] : [];
    case 'company':
      return s.identity?.party?.companyId ? [s.identity.party.companyId] : [];
    case 'trust':
      return [s.identity?.trust ?? 'unknown'];
    case 'mailbox':
      return [s.mailbox];
    case 'tag':
      return s.tags;
    case 'list':
      return s.list === null ? [] : [s.list];
  }
}

function localTime(ms: number, zone: string): { minutes: number; day: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { minutes: Number(get('hour')) * 60 + Number(get('minute')), day };
}

export function matches(c: Condition, s: RuleSubject): boolean {
  if ('all' in c) return c.all.every((x) => matches(x, s));
  if ('any' in c) return c.any.some((x) => matches(x, s));
  if ('not' in c) return !matches(c.not, s);
  if (c.field === 'header') return (s.headers[c.name] ?? []).some((v) => testText(v, c.test));
  if (c.field === 'time') {
    const { minutes, day } = localTime(s.receivedAt, c.zone);
    if (c.days && !c.days.includes(day)) return false;
    if (c.from === null && c.to === null) return true;
    const from = c.from ?? 0;
    const to = c.to ?? 24 * 60;
    // from > to spans midnight: 18:00–08:00 is the night.
    return from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
  }
  if ('flag' in c) {
    const value = c.field === 'loopback' ? s.loopback : c.field === 'hasAttachments' ? s.attachments.length > 0 : s.autoSubmitted;
    return value === c.flag;
  }
  if ('number' in c) {
    if (c.field === 'attachmentSize') return s.attachments.some((a) => testNumber(a.size, c.number));
    const value = c.field === 'size' ? s.size : c.field === 'attachments' ? s.attachments.length : s.score;
    return testNumber(value, c.number);
  }
  return textValues(s, c.field).some((v) => testText(v, c.test));
}

/** A short reading of a condition for the trace: "subject contains urgent and from ends @x". */
export function describe(c: Condition | null): string {
  if (c === null) return 'every mail';
  if ('all' in c) return c.all.map(describe).join(' and ');
  if ('any' in c) return `(${c.any.map(describe).join(' or ')})`;
  if ('not' in c) return `not (${describe(c.not)})`;
  if (c.field === 'time') return `time ${c.from ?? ''}–${c.to ?? ''}${c.days ? ` on ${c.days.join(',')}` : ''} ${c.zone}`;
  if ('flag' in c) return `${c.field} is ${c.flag}`;
  if ('number' in c) return `${c.field} ${c.number.op} ${c.number.values.join('|')}`;
  const name = c.field === 'header' ? `header ${c.name}` : c.field;
  return `${name} ${c.test.op} ${c.test.values.map((v) => JSON.stringify(v)).join('|')}`;
}
