import type { FiredRule, PlannedMail, RouteEdits } from '../../core/route-plan.ts';
import type { FinalState } from '../../core/message.ts';
import type { MailboxSettings } from '../context.ts';
import type { RuleSubject } from './rule-subject.ts';

/** What the route phases build up, beside the record choice in the draft. */
export interface RouteDraft {
  subject: RuleSubject;
  /** the mailbox whose settings apply: a filter rule may divert the mail to another */
  mailbox: MailboxSettings;
  diverted: boolean;
  fired: FiredRule[];
  edits: RouteEdits;
  outgoing: PlannedMail[];
  webhooks: { endpoint: string; rule: string }[];
  moveTo: string | null;
  /** an inbound action (or a rule's createRecord/updateRecord) chose the record: the default stage stays out */
  recordHandled: boolean;
  /** a terminal action: later phases are skipped, the outbound stage still runs */
  ended: { state: FinalState | 'deferred'; why: string; until?: number } | null;
}

export type { FiredRule, PlannedMail, RoutePlan } from '../../core/route-plan.ts';
