import type { ErrorCode } from '../core/errors.ts';
import type { FinalState, MessageRow, TraceStep } from '../core/message.ts';
import type { ParsedMessage, PlanNotice, RecordChange } from '../core/plan.ts';
import type { Categorization, Screening } from '../core/screening.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { StoreReader } from '../store/store.ts';

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
  blobs: BlobStore;
  now: () => number;
}

/** What the stages build up, in order; the plan is made from it at the end. */
export interface Draft {
  trace: TraceStep[];
  parsed?: ParsedMessage;
  screening?: Screening;
  categorization?: Categorization;
  /** the stored message and record a notice concerns (screen found it, route uses it) */
  noticeLink?: PlanNotice;
  /** the record this mail's thread headers lead to */
  thread?: { recordId: number; number: string; why: string; strength: 'strong' | 'weak' };
  record?: RecordChange;
  outcome?: 'created' | 'attached' | 'ignored';
}

/** A stage's answer: go on, stop with a final state, or quarantine/retry with a code. */
export type StageOutcome =
  | { kind: 'continue' }
  | { kind: 'stop'; state: FinalState; why: string }
  | { kind: 'quarantine'; code: ErrorCode; reason: string }
  | { kind: 'retry'; code: ErrorCode; reason: string };

export interface Stage {
  name: string;
  run(ctx: DecideContext, draft: Draft): Promise<StageOutcome>;
}
