import type { DocumentRouteRow } from './document.ts';
import type { ErrorCode } from './errors.ts';
import type { AttachmentMeta, FinalState, TraceStep } from './message.ts';
import type { Categorization, Notice, Screening } from './screening.ts';
import type { RoutePlan } from './route-plan.ts';

export type { AttachmentMeta };

export interface Address {
  address: string;
  name: string;
}

/** The parsed view of a message that later stages read. */
export interface ParsedMessage {
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  subject: string;
  from: Address | null;
  to: Address[];
  cc: Address[];
  date: number | null;
  /** lower-cased header name → decoded values, in order */
  headers: Record<string, string[]>;
  text: string;
  html: string | null;
  attachments: AttachmentMeta[];
  /** cid (without angle brackets) → attachment ordinal, for inline images */
  cidMap: Record<string, number>;
  /** machine-readable report parts (DSN, MDN, ARF, returned headers), decoded, capped at 64 KiB each */
  reports: ReportPart[];
  /** what parse had to guess or repair (an unknown charset, a broken encoded word); never fatal */
  warnings: string[];
}

export interface ReportPart {
  /** lower-cased: message/delivery-status, message/disposition-notification, message/feedback-report, text/rfc822-headers, message/rfc822 … */
  contentType: string;
  text: string;
}

export type RecordChange =
  | {
      kind: 'create';
      type: string;
      subject: string;
      requester: string;
      firstText: string;
      /** one record per Message-ID (per mailbox with fanOut: separate): the claim apply makes */
      claimKey?: string;
      /** To and Cc of the first mail: they may add to the record later */
      watchers?: string[];
    }
  /** entryKind: reply, forward, bounce, read_receipt … as the record's history shows it */
  | { kind: 'attach'; recordId: number; text: string; entryKind?: string };

/** Seed 004: a project document to create, or one to join with its updated route. */
export type DocumentChange =
  | {
      kind: 'create';
      projectId: string | null;
      docType: string;
      title: string;
      subtype: string | null;
      sourceContact: string | null;
      responsibleParty: string | null;
      firstNumber: number;
      digits: number;
      catalog: unknown;
    }
  | {
      kind: 'attach';
      documentId: number;
      number: string;
      route: { rows: DocumentRouteRow[]; current: number } | null;
      catalog: unknown;
    };

/** A notice to store, linked to the mail and record it concerns. */
export interface PlanNotice {
  notice: Notice;
  linkedMessageRef: number | null;
  recordId: number | null;
}

/** The sender as the plan carries it: decide's identity, as much as apply and webhooks read. */
export interface PlanIdentity {
  address: string | null;
  party: { id: string; kind: 'user' | 'contact'; name: string; companyId: string | null } | null;
  guest: boolean;
  trust: string;
}

/** The output of decide and the only input of apply. */
export interface Plan {
  /** deferred: a rule's timer holds the job until `deferUntil` */
  state: FinalState | 'deferred';
  deferUntil?: number;
  outcome: 'created' | 'attached' | 'ignored' | 'quarantined';
  summary: { messageId: string | null; subject: string; from: string | null };
  record: RecordChange | null;
  attachments: AttachmentMeta[];
  trace: TraceStep[];
  /** set when decide quarantined the message: the code and the reason an admin reads */
  error: { code: ErrorCode; reason: string } | null;
  /** what the stages found; absent where a stage stopped before it ran */
  parsed?: ParsedMessage;
  screening?: Screening;
  categorization?: Categorization;
  notice?: PlanNotice;
  document?: DocumentChange;
  /** identify found an unknown sender of a trusted domain: apply creates the user */
  createUser?: { id: string; name: string; address: string };
  /** what the route phases decided beside the record: edits, mail to send, webhooks, rules fired */
  route?: RoutePlan;
  /** who sent it, as identify found out (webhooks carry it) */
  identity?: PlanIdentity;
}
