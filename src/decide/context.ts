import type { ErrorCode } from '../core/errors.ts';
import type { FinalState, MessageRow, TraceStep } from '../core/message.ts';
import type { DocumentChange, ParsedMessage, PlanNotice, RecordChange } from '../core/plan.ts';
import type { Categorization, Screening } from '../core/screening.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { AddressSettings } from '../domain/directory/types.ts';
import type { DocType } from '../domain/documents/doc-type.ts';
import type { DirectoryReader } from '../store/directory.ts';
import type { StoreReader } from '../store/store.ts';
import type { TrustAction, Verdict } from './identify/trust.ts';
import type { RuleSet } from '../core/rules.ts';
import type { LoadedPlugin } from '../plugins/load-plugins.ts';
import type { RouteDraft } from './route/route-draft.ts';

export interface ParseLimits {
  headerSize: number;
  mimeDepth: number;
  parts: number;
  attachments: number;
  attachmentsTotalSize: number;
}

export interface MailboxSettings {
  address: string;
  recordType: string;
  /** seconds; 0 turns the loopback rate window off */
  loopbackDetectionInterval: number;
  loopbackMaxMessages: number;
  loopbackKey: 'sender' | 'sender+subject';
  processIfLoopbackDetected: boolean;
  fanOut?: 'merge' | 'separate';
  projectDocuments?: boolean;
  /** seed 001's default reply action reopens a resolved record */
  reopenResolved?: boolean;
  forwardCredit?: 'original-sender' | 'forwarder';
  /** endpoints called for every mail of this mailbox */
  webhooks?: readonly string[];
  whitelist?: 'accept-all' | 'reject-all' | 'known-contacts' | 'known-contacts-or-company';
  /** what the connector does to fetched mail at intake: a rule can move only what it leaves */
  afterProcessing?: 'delete' | 'keep' | 'flag-seen' | { move: string };
  autoCreateUsersFrom?: readonly string[];
  trust?: {
    mode: 'verify' | 'trust-header' | 'off';
    trustedAuthservIds: string[];
    trustedRelays: string[];
    unverifiedMay: readonly TrustAction[];
  };
}

/** Who sent the mail, as identify found out; later stages and the trace go by this. */
export interface Identity {
  /** the From address */
  address: string | null;
  /** the directory entry, unless the sender is unverified */
  party: { id: string; kind: 'user' | 'contact'; name: string; companyId: string | null } | null;
  /** no directory entry: a guest (seed 001) */
  guest: boolean;
  trust: Verdict;
  unverifiedMay: readonly TrustAction[];
}

export interface Prefixes {
  forward: readonly string[];
  reply: readonly string[];
}

export interface RecordTypeSettings {
  prefix: string;
  digits: number;
  /** the first number of the type; default 1 */
  start?: number;
}

export interface ProjectsSettings {
  docTypes: readonly (DocType & { firstNumber: number; digits: number })[];
  /** '' = none: the mail itself (.eml) is then never catalogued */
  catalogFolder: string;
}

export interface SigningSettings {
  /** HMAC key of our Message-IDs */
  secret: string;
  domain: string;
}

/** What every stage may read. Nothing here can write to the store. */
export interface DecideContext {
  message: MessageRow;
  mailbox: MailboxSettings;
  recordTypes: Readonly<Record<string, RecordTypeSettings>>;
  prefixes: Prefixes;
  signing: SigningSettings;
  limits: ParseLimits;
  store: StoreReader;
  /** the directory (users, contacts, companies, projects); absent where none is configured */
  directory?: DirectoryReader;
  addressSettings?: AddressSettings;
  /** seed 004's doc types and catalogue folder, for mailboxes with projectDocuments */
  projects?: ProjectsSettings;
  /** DNS for trust checks; tests pass a stub, production uses the system resolver */
  resolver?: (name: string, rrtype: string) => Promise<unknown>;
  blobs: BlobStore;
  now: () => number;
  /** the rule phases (seed 003) and inbound actions (seed 001); none = the built-in routing */
  rules?: RuleSet;
  /** the plugins of rules.plugins, loaded at start */
  plugins?: readonly LoadedPlugin[];
  /** every configured mailbox: a filter rule may divert mail to another */
  mailboxes?: readonly MailboxSettings[];
  loopLimits?: LoopLimits;
}

export interface LoopLimits {
  /** seconds */
  window: number;
  perSender: number;
  perRecord: number;
}

/** What the stages build up, in order; the plan is made from it at the end. */
export interface Draft {
  trace: TraceStep[];
  parsed?: ParsedMessage;
  screening?: Screening;
  categorization?: Categorization;
  /** the stored message and record a notice concerns (screen found it, route uses it) */
  noticeLink?: PlanNotice;
  identity?: Identity;
  document?: DocumentChange;
  /** seed 001: an unknown sender from a trusted domain becomes a user (apply creates it) */
  createUser?: { id: string; name: string; address: string };
  /** the record this mail's thread headers lead to */
  thread?: { recordId: number; number: string; why: string };
  record?: RecordChange;
  outcome?: 'created' | 'attached' | 'ignored';
  /** the route phases: rules fired, record edits, mail to send, webhooks */
  route?: RouteDraft;
}

/** A stage's answer: go on, stop with a final state, or quarantine/retry with a code. */
export type StageOutcome =
  | { kind: 'continue' }
  | { kind: 'stop'; state: FinalState; why: string }
  /** a rule's timer: the job waits (state deferred) and is opened again at `until` */
  | { kind: 'hold'; until: number; why: string }
  | { kind: 'quarantine'; code: ErrorCode; reason: string }
  | { kind: 'retry'; code: ErrorCode; reason: string };

export interface Stage {
  name: string;
  run(ctx: DecideContext, draft: Draft): Promise<StageOutcome>;
}
