import type { Action } from '../../core/rules.ts';
import { renderTemplate, type TemplateVars } from '../../domain/rules/templates.ts';
import type { DecideContext, Draft, MailboxSettings } from '../context.ts';
import { attach, claimKeyOf, create } from './record-choice.ts';
import type { RouteDraft } from './route-draft.ts';

/** After a rule's actions: go on with the next rule, end this phase (`stop`), or end routing. */
export type ActionFlow = 'next' | 'stop-phase' | 'end';

/** The message's own values for templates that run in decide (alter, before any record exists). */
export function messageVars(ctx: DecideContext, draft: Draft, route: RouteDraft): TemplateVars {
  const p = draft.parsed;
  return {
    record: null,
    message: {
      subject: route.subject.subject,
      from: route.subject.from,
      fromName: p?.from?.name ?? '',
      to: route.subject.to,
      date: new Date(p?.date ?? ctx.message.receivedAt).toISOString(),
      text: route.subject.text,
      messageId: p?.messageId ?? null,
    },
    replyText: route.subject.replyText,
    mailbox: route.mailbox.address,
  };
}

function note(draft: Draft, stage: string, looked: string, concluded: string, why: string): void {
  draft.trace.push({ stage, looked, concluded, why });
}

/**
 * Runs one rule's actions in order. Record actions choose the record now (so later rules see
 * it); edits, mail and webhooks are collected for apply, which renders and commits them with
 * the message's state.
 */
export async function runActions(
  ctx: DecideContext,
  draft: Draft,
  route: RouteDraft,
  phase: string,
  rule: string,
  actions: readonly Action[],
): Promise<ActionFlow> {
  const by = `rule ${rule}`;
  for (const action of actions) {
    switch (action.kind) {
      case 'createRecord': {
        route.recordHandled = true;
        if (draft.record) {
          note(draft, phase, by, 'record already chosen', `createRecord kept the ${draft.record.kind === 'create' ? 'new' : 'joined'} record an earlier action chose`);
          break;
        }
        const parsed = draft.parsed;
        if (!parsed) break;
        const claimKey = claimKeyOf(ctx, parsed.messageId);
        create(ctx, draft, route.subject.replyText, claimKey, {
          ...(action.type ? { type: action.type } : {}),
          why: `${by} creates a record`,
        });
        break;
      }
      case 'updateRecord': {
        route.recordHandled = true;
        if (draft.record) break;
        if (!draft.thread) {
          note(draft, phase, by, 'no record to update', 'the mail is not a reply to a record we hold');
          break;
        }
        attach(draft, draft.thread.recordId, 'comment', route.subject.replyText, `${by}: the reply text is added as a comment`);
        break;
      }
      case 'setFields':
        Object.assign(route.edits.fields, action.fields);
        if (action.fields['status'] !== undefined) route.edits.status = action.fields['status'];
        break;
      case 'assign':
        route.edits.assignee = action.to;
        break;
      case 'tag':
        for (const tag of action.tags) {
          if (!route.edits.tags.includes(tag)) route.edits.tags.push(tag);
          if (!route.subject.tags.includes(tag)) route.subject.tags.push(tag);
        }
        break;
      case 'comment':
        route.edits.comments.push(action.template);
        break;
      case 'reply':
        route.outgoing.push({ kind: 'reply', to: [route.subject.from], template: action.template, subject: action.subject, automatic: true, rule });
        break;
      case 'forward':
        route.outgoing.push({ kind: 'forward', to: action.to, template: action.note, subject: null, automatic: false, rule });
        break;
      case 'redirect':
        route.outgoing.push({ kind: 'redirect', to: action.to, template: null, subject: null, automatic: false, rule });
        break;
      case 'webhook':
        route.webhooks.push({ endpoint: action.endpoint, rule });
        break;
      case 'reject':
        if (action.template !== null)
          route.outgoing.push({ kind: 'notice', to: [route.subject.from], template: action.template, subject: null, automatic: true, rule });
        route.ended = { state: 'rejected', why: `rejected by ${by}` };
        return 'end';
      case 'ignore':
        route.recordHandled = true;
        route.ended = { state: 'processed', why: `ignored by ${by}: no record is created or updated` };
        return 'end';
      case 'kill':
      case 'delete':
        route.ended = { state: 'skipped', why: `${action.kind === 'kill' ? 'killed' : 'deleted'} by ${by}` };
        return 'end';
      case 'stop':
        note(draft, phase, by, 'stop', `no further ${phase} rules run for this mail`);
        return 'stop-phase';
      case 'deferUntil': {
        // A job comes back once its timer has run: the same rule then lets it through.
        if (ctx.message.deferUntil !== null) {
          note(draft, phase, by, 'timer served', `the job was held until ${new Date(ctx.message.deferUntil).toISOString()}`);
          break;
        }
        const until = action.at ?? ctx.message.receivedAt + (action.afterMs ?? 0);
        if (until <= ctx.now()) {
          note(draft, phase, by, 'no wait', `the time ${new Date(until).toISOString()} has already passed`);
          break;
        }
        route.ended = { state: 'deferred', until, why: `held by ${by} until ${new Date(until).toISOString()}` };
        return 'end';
      }
      case 'moveTo': {
        const refused = moveRefusal(ctx.message.source, ctx.mailbox.afterProcessing);
        if (refused) {
          note(draft, phase, by, `not moved to ${action.folder}`, refused);
          break;
        }
        route.moveTo = action.folder;
        break;
      }
      case 'divert': {
        const target = ctx.mailboxes?.find((m) => m.address.toLowerCase() === action.mailbox);
        if (!target) {
          note(draft, phase, by, 'not diverted', `mailbox ${action.mailbox} is not configured`);
          break;
        }
        route.mailbox = target;
        route.diverted = true;
        route.subject.mailbox = target.address.toLowerCase();
        note(draft, phase, by, `diverted to ${target.address}`, "that mailbox's record type, inbound actions and webhooks apply from here on");
        break;
      }
      case 'alter':
        alterMessage(ctx, draft, route, action);
        break;
      case 'score':
        route.subject.score += action.points;
        break;
    }
  }
  return 'next';
}

/** Changes what later phases match and what the record gets: subject, text, headers. */
export function alterMessage(
  ctx: DecideContext,
  draft: Draft,
  route: RouteDraft,
  change: { subject: string | null; text: string | null; headers: Record<string, string> },
  render = true,
): void {
  const vars = messageVars(ctx, draft, route);
  const value = (t: string): string => (render ? renderTemplate(t, vars) : t);
  const s = route.subject;
  if (change.subject !== null) s.subject = value(change.subject);
  if (change.text !== null) {
    s.text = value(change.text);
    s.replyText = s.text;
  }
  for (const [name, v] of Object.entries(change.headers)) s.headers[name.toLowerCase()] = [value(v)];
  if (draft.parsed) draft.parsed = { ...draft.parsed, subject: s.subject, text: s.text, headers: s.headers };
  if (draft.categorization && change.text !== null) draft.categorization = { ...draft.categorization, replyText: s.replyText };
}

/** Why a rule cannot move this mail on its server, or null when it can (IMAP, still in its folder). */
function moveRefusal(source: string, after: MailboxSettings['afterProcessing']): string | null {
  if (source !== 'imap') return `the mail came by ${source}: only mail fetched by IMAP is in a server folder`;
  if (after === 'delete' || typeof after === 'object')
    return `the mailbox's afterProcessing (${typeof after === 'object' ? `move: ${after.move}` : after}) took the mail out of its folder at intake; set afterProcessing: keep or flag-seen to let rules move it`;
  return null;
}
