import { readFile } from 'node:fs/promises';
import { loadRulesFile } from '../config/rules-file.ts';
import { parseDuration } from '../config/units.ts';
import type { MessageRow, TraceStep } from '../core/message.ts';
import { decideRaw } from '../decide/decide-raw.ts';
import type { MailboxSettings } from '../decide/context.ts';
import { decideContextFor, type RunnerContext } from '../runner.ts';
import { decide } from '../pipeline.ts';
import type { App } from './app.ts';
import { printJson, printable } from './format.ts';
import { outcomeOf, type Outcome } from '../decide/route/plan-outcome.ts';
import { runnerContext } from './runner-context.ts';

interface MessageDiff {
  id: number | null;
  file: string | null;
  subject: string;
  applied: Outcome | null;
  wouldBe: Outcome;
  changed: boolean;
}

const ROUTE_STAGES = new Set(['plugins', 'pre-filter', 'content control', 'filter', 'post-filter', 'inbound actions']);

/**
 * `rules test`: decide with the given rules on stored or given mail, apply nothing, and show
 * what would change against what was applied, then how often each rule fires before and after.
 * Decide only reads the store, so this is safe on a live database.
 */
export async function rulesTest(
  app: App,
  paths: string[],
  opts: { rules?: string; since?: string; message?: string[]; json?: boolean; limit?: string },
): Promise<number> {
  const base = await runnerContext(app);
  const rules = opts.rules ? loadRulesFile(opts.rules, app.config) : app.config.rules;
  const ctx: RunnerContext = { ...base, rules, plugins: opts.rules ? await (await import('../plugins/load-plugins.ts')).loadPlugins(rules.plugins) : base.plugins ?? [] };
  const diffs: MessageDiff[] = [];
  if (paths.length > 0) {
    const mailbox = ctx.mailboxes[0] as MailboxSettings;
    for (const file of paths) diffs.push(await fileDiff(ctx, mailbox, file));
  } else {
    for (const message of await selectStored(app, opts)) {
      const mailbox = ctx.mailboxes.find((m) => m.address.toLowerCase() === message.mailbox.toLowerCase());
      if (mailbox) diffs.push(await storedDiff(app, ctx, mailbox, message));
    }
  }
  const summary = ruleCounts(diffs);
  if (opts.json) {
    printJson({ messages: diffs, rules: summary, total: diffs.length, changed: diffs.filter((d) => d.changed).length });
    return 0;
  }
  const lines: string[] = [];
  for (const d of diffs) {
    const name = d.id !== null ? `#${d.id}` : d.file ?? '';
    lines.push(`${d.changed ? '~' : '='} ${name} ${JSON.stringify(d.subject)}`);
    const a = d.applied;
    const w = d.wouldBe;
    if (!a) lines.push(`    would be: ${show(w)}`);
    else if (d.changed) {
      if (a.state !== w.state) lines.push(`    state:   ${a.state} → ${w.state}`);
      if (a.class !== w.class) lines.push(`    class:   ${a.class ?? '-'} → ${w.class ?? '-'}`);
      if (a.record?.split(' (')[0] !== w.record?.split(' (')[0]) lines.push(`    record:  ${a.record ?? '-'} → ${w.record ?? '-'}`);
      if (a.actions.join() !== w.actions.join())
        lines.push(`    actions: ${a.actions.join(', ') || '-'} → ${w.actions.join(', ') || '-'}`);
    }
  }
  lines.push('', `${diffs.length} messages, ${diffs.filter((d) => d.changed).length} would change`, '', 'RULE                                     APPLIED  WOULD FIRE');
  for (const r of summary) lines.push(`${`${r.phase}: ${r.rule}`.padEnd(40)} ${String(r.applied).padStart(7)}  ${String(r.wouldFire).padStart(10)}`);
  process.stdout.write(`${lines.map(printable).join('\n')}\n`);
  return 0;
}

async function selectStored(app: App, opts: { since?: string; message?: string[]; limit?: string }): Promise<MessageRow[]> {
  if (opts.message && opts.message.length > 0) {
    const rows: MessageRow[] = [];
    for (const id of opts.message) {
      const row = await app.store.getMessage(Number(id));
      if (!row) throw new Error(`no message with id ${id}; see \`postroom messages list\``);
      rows.push(row);
    }
    return rows;
  }
  const since = Date.now() - parseDuration(opts.since ?? '7d', 'ms');
  const limit = opts.limit ? Number(opts.limit) : 10_000;
  const rows = await app.store.listMessages({ limit });
  return rows.filter((m) => m.receivedAt >= since && !m.rawPurged).sort((a, b) => a.id - b.id);
}

async function storedDiff(app: App, ctx: RunnerContext, mailbox: MailboxSettings, message: MessageRow): Promise<MessageDiff> {
  // The message's own arrival is "now": time conditions, timers and loop-limit windows see
  // what they saw when it was processed.
  const plan = await decide(decideContextFor(ctx, message, mailbox, () => message.receivedAt));
  const wouldBe = await outcomeOf(app.store, plan);
  const trace = await app.store.getTrace(message.id);
  const sent = await app.store.listOutboxOf(message.id);
  const row = message.recordId !== null ? await app.store.getRecord(message.recordId) : undefined;
  // A record this very message opened reads like the plan's "new INC", with its number beside.
  const record = row ? (message.outcome === 'created' ? `new ${row.type} (${row.number})` : row.number) : null;
  const applied: Outcome = {
    state: message.state,
    class: message.mailClass,
    record,
    actions: [...firedIn(trace), ...sent.map((m) => `send ${m.kind} to ${m.recipient}`)],
  };
  const changed =
    applied.state !== wouldBe.state ||
    applied.class !== wouldBe.class ||
    applied.record?.split(' (')[0] !== wouldBe.record?.split(' (')[0] ||
    applied.actions.join() !== wouldBe.actions.join();
  return { id: message.id, file: null, subject: message.subject ?? '', applied, wouldBe, changed };
}

async function fileDiff(ctx: RunnerContext, mailbox: MailboxSettings, file: string): Promise<MessageDiff> {
  const raw = await readFile(file);
  const report = await decideRaw(raw, {
    file,
    store: ctx.store,
    directory: ctx.store.directory,
    mailbox,
    recordTypes: ctx.recordTypes,
    prefixes: ctx.prefixes,
    signing: ctx.signing,
    limits: ctx.limits,
    ...(ctx.rules ? { rules: ctx.rules } : {}),
    ...(ctx.plugins ? { plugins: ctx.plugins } : {}),
    mailboxes: ctx.mailboxes,
    ...(ctx.loopLimits ? { loopLimits: ctx.loopLimits } : {}),
  });
  const wouldBe: Outcome = {
    state: report.state,
    class: report.class,
    record: report.record,
    actions: report.actions,
  };
  return { id: null, file, subject: report.subject, applied: null, wouldBe, changed: true };
}

/** Rules that fired on a stored message, read back from its trace. */
function firedIn(trace: TraceStep[]): string[] {
  const fired: string[] = [];
  for (const step of trace) {
    if (!ROUTE_STAGES.has(step.stage)) continue;
    const m = /^(?:rule|action) (.+?)(?::| \(order|$)/.exec(step.concluded) ?? (step.stage === 'plugins' ? /^plugin (.+)$/.exec(step.looked) : null);
    if (m?.[1]) fired.push(`${step.stage}: ${m[1]}`);
  }
  return fired;
}

function ruleCounts(diffs: MessageDiff[]): { phase: string; rule: string; applied: number; wouldFire: number }[] {
  const counts = new Map<string, { phase: string; rule: string; applied: number; wouldFire: number }>();
  const bump = (entry: string, key: 'applied' | 'wouldFire'): void => {
    if (entry.startsWith('send ') || entry.startsWith('defer ')) return;
    const at = entry.indexOf(': ');
    const row = counts.get(entry) ?? { phase: entry.slice(0, at), rule: entry.slice(at + 2), applied: 0, wouldFire: 0 };
    row[key]++;
    counts.set(entry, row);
  };
  for (const d of diffs) {
    for (const a of new Set(d.applied?.actions ?? [])) bump(a, 'applied');
    for (const a of new Set(d.wouldBe.actions)) bump(a, 'wouldFire');
  }
  return [...counts.values()];
}

function show(o: Outcome): string {
  return `${o.state}, class ${o.class ?? '-'}, record ${o.record ?? '-'}, actions ${o.actions.join(', ') || '-'}`;
}
