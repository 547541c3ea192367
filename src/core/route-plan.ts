import type { ActionKind } from './rules.ts';

/** What the route phases decided beside the record; apply turns it into rows. */
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

/** Record edits the rules collected; templates in fields and comments are rendered by apply. */
export interface RouteEdits {
  fields: Record<string, string>;
  assignee: string | null;
  tags: string[];
  status: string | null;
  comments: string[];
}

export interface RoutePlan {
  fired: FiredRule[];
  edits: RouteEdits;
  outgoing: PlannedMail[];
  webhooks: string[];
  divertedTo: string | null;
  moveTo: string | null;
}
