import type { ActionKind } from '../../domain/rules/rule-types.ts';
import type { FinalState } from '../../core/message.ts';
import type { MailboxSettings } from '../context.ts';
import type { RuleSubject } from './rule-subject.ts';

/** A mail a rule wants sent; rendered by apply, where the record's number is known. */
export interface PlannedMail {
  kind: 'reply' | 'forward' | 'redirect' | 'notice';
  to: string[];
  /** Liquid template of the body (forward: the note above the original) */
  template: string | null;
  subject: string | null;
  /** an automatic answer: never to machine mail, and counted by the loop limits */
  automatic: boolean;
  rule: string;
}

export interface FiredRule {
  phase: string;
  rule: string;
  actions: ActionKind[];
}

/** What the route phases build up, beside the record choice in the draft. */
export interface RouteDraft {
  subject: RuleSubject;
  /** the mailbox whose settings apply: a filter rule may divert the mail to another */
  mailbox: MailboxSettings;
  diverted: boolean;
  fired: FiredRule[];
  edits: {
    fields: Record<string, string>;
    assignee: string | null;
    tags: string[];
    status: string | null;
    comments: string[];
  };
  outgoing: PlannedMail[];
  webhooks: { endpoint: string; rule: string }[];
  moveTo: string | null;
  /** an inbound action (or a rule's createRecord/updateRecord) chose the record: the default stage stays out */
  recordHandled: boolean;
  /** a terminal action: later phases are skipped, the outbound stage still runs */
  ended: { state: FinalState | 'deferred'; why: string; until?: number } | null;
}

export interface RoutePlan {
  fired: FiredRule[];
  edits: RouteDraft['edits'];
  outgoing: PlannedMail[];
  webhooks: string[];
  divertedTo: string | null;
  moveTo: string | null;
}
