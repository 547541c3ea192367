import { Liquid } from 'liquidjs';
import type {
  Action,
  Condition,
  ControlSet,
  InboundAction,
  NumberField,
  PluginRef,
  Rule,
  TextField,
} from '../core/rules.ts';
import {
  flagFields,
  numberFields,
  numberOperators,
  textFields,
  textOperators,
} from '../core/rules.ts';
import { caseFold } from '../core/case-fold.ts';
import { describeValue } from './fields.ts';
import { parseDuration, parseSize } from './units.ts';

// Rules are parsed by hand rather than by a zod union: a union of twenty action shapes reports
// "invalid input" for a typo, while an admin needs "rules.filters[2].do[0]: unknown action
// 'rejct'; known: …". Each problem is reported with its path; parsing goes on to find the rest.

export type Path = (string | number)[];
export type Report = (path: Path, message: string) => void;

const liquid = new Liquid({ strictFilters: true });

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function template(v: unknown, path: Path, report: Report): string | null {
  const s = str(v);
  if (s === null) {
    report(path, `expected a template text, got ${describeValue(v)}`);
    return null;
  }
  try {
    liquid.parse(s);
  } catch (err) {
    report(path, `is not a valid template: ${(err as Error).message.split('\n')[0]}`);
    return null;
  }
  return s;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [v];
}

const OPERATOR_ALIASES: Record<string, string> = { 'is any of': 'isAnyOf', startsWith: 'starts', endsWith: 'ends' };

function parseTextTest(v: unknown, path: Path, report: Report): { op: (typeof textOperators)[number]; values: string[]; caseSensitive: boolean } | null {
  if (Array.isArray(v)) return { op: 'isAnyOf', values: v.map((x) => str(x) ?? ''), caseSensitive: false };
  if (!isMap(v)) {
    const s = str(v);
    if (s === null) report(path, `expected a value or { contains: … }, got ${describeValue(v)}`);
    return s === null ? null : { op: 'equals', values: [s], caseSensitive: false };
  }
  const caseSensitive = v['caseSensitive'] === true;
  const ops = Object.keys(v).filter((k) => k !== 'caseSensitive');
  if (ops.length !== 1) {
    report(path, `needs exactly one operator of ${textOperators.join(', ')}; got ${ops.join(', ') || 'none'}`);
    return null;
  }
  const key = ops[0]!;
  const op = (OPERATOR_ALIASES[key] ?? key) as (typeof textOperators)[number];
  if (!textOperators.includes(op)) {
    report([...path, key], `unknown operator; use one of ${textOperators.join(', ')}`);
    return null;
  }
  const values = (op === 'isAnyOf' ? list(v[key]) : [v[key]]).map((x) => str(x));
  if (values.some((x) => x === null)) {
    report([...path, key], `expected ${op === 'isAnyOf' ? 'a list of values' : 'a text'}, got ${describeValue(v[key])}`);
    return null;
  }
  if (op === 'matches') {
    try {
      new RegExp(caseFold(values[0]!));
    } catch (err) {
      report([...path, key], `is not a valid regular expression: ${(err as Error).message}`);
      return null;
    }
  }
  return { op, values: values as string[], caseSensitive };
}

function parseNumber(v: unknown, field: NumberField, path: Path, report: Report): number | null {
  try {
    if (field === 'size' || field === 'attachmentSize') return parseSize(v as string | number);
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  } catch (err) {
    report(path, (err as Error).message);
    return null;
  }
  report(path, `expected a number, got ${describeValue(v)}`);
  return null;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function parseClock(v: unknown, path: Path, report: Report): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(str(v) ?? '');
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) {
    report(path, `expected a time of day such as 08:00, got ${describeValue(v)}`);
    return null;
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

export function parseCondition(v: unknown, path: Path, report: Report): Condition | null {
  if (!isMap(v)) {
    report(path, `expected a condition such as { subject: { contains: urgent } }, got ${describeValue(v)}`);
    return null;
  }
  const keys = Object.keys(v);
  // Several fields side by side read as "all of these", as an admin would expect.
  if (keys.length > 1) {
    const parts = keys.map((k) => parseCondition({ [k]: v[k] }, path, report));
    return parts.every((p) => p !== null) ? { all: parts } : null;
  }
  const key = keys[0];
  if (key === undefined) {
    report(path, 'is empty: give a condition, or leave `when` out to match every mail');
    return null;
  }
  const value = v[key];
  const at = [...path, key];
  if (key === 'all' || key === 'any') {
    if (!Array.isArray(value) || value.length === 0) {
      report(at, 'expected a non-empty list of conditions');
      return null;
    }
    const parts = value.map((c, i) => parseCondition(c, [...at, i], report));
    if (parts.some((p) => p === null)) return null;
    return key === 'all' ? { all: parts as Condition[] } : { any: parts as Condition[] };
  }
  if (key === 'not') {
    const inner = parseCondition(value, at, report);
    return inner && { not: inner };
  }
  if (key === 'header') {
    if (!isMap(value) || typeof value['name'] !== 'string') {
      report(at, 'expected { name: X-Header, contains: … }');
      return null;
    }
    const { name, ...rest } = value;
    const test = parseTextTest(rest, at, report);
    return test && { field: 'header', name: name.toLowerCase(), test };
  }
  if (key === 'time') {
    if (!isMap(value)) {
      report(at, 'expected { from: "18:00", to: "08:00", days: [sat, sun], zone: Europe/Berlin }');
      return null;
    }
    const from = value['from'] === undefined ? null : parseClock(value['from'], [...at, 'from'], report);
    const to = value['to'] === undefined ? null : parseClock(value['to'], [...at, 'to'], report);
    let days: number[] | null = null;
    if (value['days'] !== undefined) {
      days = list(value['days']).map((d) => DAYS.indexOf(String(d).slice(0, 3).toLowerCase()));
      if (days.some((d) => d < 0)) report([...at, 'days'], `expected days such as [mon, tue], got ${describeValue(value['days'])}`);
    }
    const zone = typeof value['zone'] === 'string' ? value['zone'] : 'UTC';
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
    } catch {
      report([...at, 'zone'], `unknown time zone ${JSON.stringify(zone)}; use an IANA name such as Europe/Berlin`);
    }
    return { field: 'time', from, to, days, zone };
  }
  if ((flagFields as readonly string[]).includes(key)) {
    if (typeof value !== 'boolean') {
      report(at, `expected true or false, got ${describeValue(value)}`);
      return null;
    }
    return { field: key as (typeof flagFields)[number], flag: value };
  }
  if ((numberFields as readonly string[]).includes(key)) {
    const field = key as NumberField;
    const raw = isMap(value) ? value : { equals: value };
    const ops = Object.keys(raw);
    const op = ops[0] as (typeof numberOperators)[number];
    if (ops.length !== 1 || !numberOperators.includes(op)) {
      report(at, `needs exactly one operator of ${numberOperators.join(', ')}`);
      return null;
    }
    const values = (op === 'isAnyOf' ? list(raw[op]) : [raw[op]]).map((x) => parseNumber(x, field, [...at, op], report));
    if (values.some((x) => x === null)) return null;
    return { field, number: { op, values: values as number[] } };
  }
  if ((textFields as readonly string[]).includes(key)) {
    const test = parseTextTest(value, at, report);
    return test && { field: key as TextField, test };
  }
  report(
    at,
    `unknown condition; use all, any, not, header, time, ${[...textFields, ...numberFields, ...flagFields].join(', ')}`,
  );
  return null;
}

function addresses(v: unknown, path: Path, report: Report): string[] | null {
  const values = list(v).map((x) => str(x));
  if (values.length === 0 || values.some((x) => x === null || !x.includes('@'))) {
    report(path, `expected an address or a list of addresses, got ${describeValue(v)}`);
    return null;
  }
  return values as string[];
}

type ActionParser = (v: unknown, path: Path, report: Report) => Action | null;

const flagAction =
  (kind: 'updateRecord' | 'ignore' | 'kill' | 'delete' | 'stop'): ActionParser =>
  (v, path, report) => {
    if (v !== true && !(isMap(v) && Object.keys(v).length === 0)) {
      report(path, `expected true, got ${describeValue(v)}`);
      return null;
    }
    return { kind };
  };

const ACTIONS: Record<string, ActionParser> = {
  createRecord: (v, path, report) => {
    if (v === true || v === null || (isMap(v) && v['type'] === undefined)) return { kind: 'createRecord', type: null };
    if (isMap(v) && typeof v['type'] === 'string') return { kind: 'createRecord', type: v['type'] };
    report(path, 'expected {} or { type: INCIDENT }');
    return null;
  },
  updateRecord: flagAction('updateRecord'),
  setFields: (v, path, report) => {
    if (!isMap(v)) {
      report(path, 'expected a mapping such as { priority: high }');
      return null;
    }
    const fields: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      const t = template(x, [...path, k], report);
      if (t !== null) fields[k] = t;
    }
    return { kind: 'setFields', fields };
  },
  assign: (v, path, report) => {
    const s = str(v);
    if (!s) report(path, 'expected a user or team name');
    return s ? { kind: 'assign', to: s } : null;
  },
  tag: (v, path, report) => {
    const tags = list(v).map((x) => str(x));
    if (tags.length === 0 || tags.some((t) => !t)) {
      report(path, 'expected a tag or a list of tags');
      return null;
    }
    return { kind: 'tag', tags: tags as string[] };
  },
  comment: (v, path, report) => {
    const t = template(v, path, report);
    return t === null ? null : { kind: 'comment', template: t };
  },
  reply: (v, path, report) => {
    const m = isMap(v) ? v : { template: v };
    const t = template(m['template'], [...path, 'template'], report);
    const subject = m['subject'] === undefined ? null : template(m['subject'], [...path, 'subject'], report);
    return t === null ? null : { kind: 'reply', template: t, subject };
  },
  forward: (v, path, report) => {
    const m = isMap(v) ? v : { to: v };
    const to = addresses(m['to'], [...path, 'to'], report);
    const note = m['note'] === undefined ? null : template(m['note'], [...path, 'note'], report);
    return to && { kind: 'forward', to, note };
  },
  redirect: (v, path, report) => {
    const to = addresses(isMap(v) ? v['to'] : v, path, report);
    return to && { kind: 'redirect', to };
  },
  webhook: (v, path, report) => {
    const s = str(v);
    if (!s) report(path, 'expected the name of an endpoint under webhooks.endpoints');
    return s ? { kind: 'webhook', endpoint: s } : null;
  },
  reject: (v, path, report) => {
    if (v === true) return { kind: 'reject', template: null };
    const m = isMap(v) ? v : { notice: v };
    const t = template(m['notice'], [...path, 'notice'], report);
    return t === null ? null : { kind: 'reject', template: t };
  },
  ignore: flagAction('ignore'),
  kill: flagAction('kill'),
  delete: flagAction('delete'),
  stop: flagAction('stop'),
  deferUntil: (v, path, report) => {
    const s = str(v) ?? '';
    if (/^\d{4}-\d{2}-\d{2}/.test(s) && Number.isFinite(Date.parse(s))) return { kind: 'deferUntil', afterMs: null, at: Date.parse(s) };
    try {
      return { kind: 'deferUntil', afterMs: parseDuration(v as string | number, 'ms'), at: null };
    } catch {
      report(path, `expected a delay such as 2h or a time such as 2026-12-01T09:00:00Z, got ${describeValue(v)}`);
      return null;
    }
  },
  moveTo: (v, path, report) => {
    const s = str(v);
    if (!s) report(path, 'expected a folder name');
    return s ? { kind: 'moveTo', folder: s } : null;
  },
  divert: (v, path, report) => {
    const s = str(v);
    if (!s || !s.includes('@')) report(path, 'expected the address of a configured mailbox');
    return s && s.includes('@') ? { kind: 'divert', mailbox: s.toLowerCase() } : null;
  },
  alter: (v, path, report) => {
    if (!isMap(v)) {
      report(path, 'expected { subject: …, text: …, headers: { X-Name: value } }');
      return null;
    }
    const subject = v['subject'] === undefined ? null : template(v['subject'], [...path, 'subject'], report);
    const text = v['text'] === undefined ? null : template(v['text'], [...path, 'text'], report);
    const headers: Record<string, string> = {};
    if (isMap(v['headers']))
      for (const [k, x] of Object.entries(v['headers'])) {
        const t = template(x, [...path, 'headers', k], report);
        if (t !== null) headers[k.toLowerCase()] = t;
      }
    return { kind: 'alter', subject, text, headers };
  },
  score: (v, path, report) => {
    const n = typeof v === 'number' ? v : Number(str(v));
    if (!Number.isFinite(n)) report(path, 'expected a number of points');
    return Number.isFinite(n) ? { kind: 'score', points: n } : null;
  },
};

export const actionNames = Object.keys(ACTIONS);

export function parseActions(v: unknown, path: Path, report: Report): Action[] {
  if (v === undefined) return [];
  const out: Action[] = [];
  list(v).forEach((item, i) => {
    const at = [...path, i];
    const keys = isMap(item) ? Object.keys(item) : typeof item === 'string' ? [item] : [];
    const key = keys[0];
    if (keys.length !== 1 || key === undefined) {
      report(at, `expected one action such as { tag: vip }, got ${describeValue(item)}`);
      return;
    }
    const parse = ACTIONS[key];
    if (!parse) {
      report([...at, key], `unknown action; known: ${actionNames.join(', ')}`);
      return;
    }
    const action = parse(isMap(item) ? item[key] : true, [...at, key], report);
    if (action) out.push(action);
  });
  return out;
}

function name(v: Record<string, unknown>, fallback: string): string {
  return typeof v['name'] === 'string' && v['name'] !== '' ? v['name'] : fallback;
}

function rejectUnknown(v: Record<string, unknown>, known: readonly string[], path: Path, report: Report): void {
  for (const k of Object.keys(v))
    if (!known.includes(k)) report([...path, k], `unknown key; expected ${known.join(', ')}`);
}

export function parseRule(v: unknown, path: Path, report: Report, fallbackName: string): Rule | null {
  if (!isMap(v)) {
    report(path, 'expected a rule { name, when, do }');
    return null;
  }
  rejectUnknown(v, ['name', 'when', 'do'], path, report);
  const when = v['when'] === undefined ? null : parseCondition(v['when'], [...path, 'when'], report);
  if (v['do'] === undefined) report([...path, 'do'], 'is required: the actions of the rule, e.g. [{ tag: vip }]');
  return { name: name(v, fallbackName), when, do: parseActions(v['do'], [...path, 'do'], report) };
}

export function parseControlSet(v: unknown, path: Path, report: Report, fallbackName: string): ControlSet | null {
  if (!isMap(v)) {
    report(path, 'expected a content control set { name, tests, threshold, do }');
    return null;
  }
  rejectUnknown(v, ['name', 'when', 'tests', 'threshold', 'do'], path, report);
  const tests: ControlSet['tests'] = [];
  list(v['tests'] ?? []).forEach((t, i) => {
    const at = [...path, 'tests', i];
    if (!isMap(t) || t['when'] === undefined) {
      report(at, 'expected { when: <condition>, weight: 5 }');
      return;
    }
    const when = parseCondition(t['when'], [...at, 'when'], report);
    const weight = typeof t['weight'] === 'number' ? t['weight'] : 1;
    if (when) tests.push({ when, weight });
  });
  const threshold = typeof v['threshold'] === 'number' ? v['threshold'] : 1;
  return {
    name: name(v, fallbackName),
    when: v['when'] === undefined ? null : parseCondition(v['when'], [...path, 'when'], report),
    tests,
    threshold,
    do: parseActions(v['do'], [...path, 'do'], report),
  };
}

export function parseInboundAction(v: unknown, path: Path, report: Report, index: number): InboundAction | null {
  if (!isMap(v)) {
    report(path, 'expected an inbound action { name, type, when, order, stopProcessing, do }');
    return null;
  }
  rejectUnknown(v, ['name', 'type', 'recordType', 'when', 'order', 'stopProcessing', 'do'], path, report);
  const type = v['type'];
  if (type !== 'new' && type !== 'reply' && type !== 'forward') {
    report([...path, 'type'], `expected new, reply or forward, got ${describeValue(type)}`);
    return null;
  }
  const order = v['order'] === undefined ? 100 : Number(v['order']);
  if (!Number.isFinite(order)) report([...path, 'order'], 'expected a number; lower runs first');
  return {
    name: name(v, `inbound action ${index + 1}`),
    type,
    recordType: typeof v['recordType'] === 'string' ? v['recordType'] : null,
    when: v['when'] === undefined ? null : parseCondition(v['when'], [...path, 'when'], report),
    order: Number.isFinite(order) ? order : 100,
    stopProcessing: v['stopProcessing'] === true,
    do: parseActions(v['do'], [...path, 'do'], report),
  };
}

export function parsePlugin(v: unknown, path: Path, report: Report): PluginRef | null {
  if (!isMap(v) || typeof v['module'] !== 'string') {
    report(path, 'expected { name: vip, module: ./plugins/vip.ts, options: {} }');
    return null;
  }
  rejectUnknown(v, ['name', 'module', 'options'], path, report);
  return {
    name: name(v, v['module']),
    module: v['module'],
    options: isMap(v['options']) ? v['options'] : {},
  };
}
