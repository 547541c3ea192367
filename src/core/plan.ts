import type { ErrorCode } from './errors.ts';
import type { AttachmentMeta, FinalState, TraceStep } from './message.ts';

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
}

export type RecordChange =
  | { kind: 'create'; type: string; subject: string; requester: string; firstText: string }
  | { kind: 'attach'; recordId: number; text: string };

/** The output of decide and the only input of apply. */
export interface Plan {
  state: FinalState;
  outcome: 'created' | 'attached' | 'ignored' | 'quarantined';
  summary: { messageId: string | null; subject: string; from: string | null };
  record: RecordChange | null;
  attachments: AttachmentMeta[];
  trace: TraceStep[];
  /** set when decide quarantined the message: the code and the reason an admin reads */
  error: { code: ErrorCode; reason: string } | null;
}
