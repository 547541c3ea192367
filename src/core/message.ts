/** Where a message is in its life. Terminal states never change except by an explicit reprocess. */
export const messageStates = [
  'queued',
  'processing',
  'processed',
  'failed',
  'loopback',
  'skipped',
  'rejected',
  'deferred',
] as const;
export type MessageState = (typeof messageStates)[number];

/** States a message leaves only by an admin's `reprocess`. */
export const finalStates = ['processed', 'failed', 'loopback', 'skipped', 'rejected'] as const;
export type FinalState = (typeof finalStates)[number];

export type IntakeSource = 'smtp' | 'file' | 'stdin' | 'maildir' | 'mbox' | 'pop3' | 'imap' | 'http';

/** The spool row of one message as the rest of the engine sees it. */
export interface MessageRow {
  id: number;
  mailbox: string;
  source: IntakeSource;
  dedupeKey: string;
  rawSha256: string;
  rawSize: number;
  rawPurged: boolean;
  messageId: string | null;
  subject: string | null;
  from: string | null;
  state: MessageState;
  outcome: string | null;
  recordId: number | null;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  errorCode: string | null;
  error: string | null;
  receivedAt: number;
  finishedAt: number | null;
  duplicates: number;
  /** what screening concluded (general, auto_reply, bounce …); null until processed */
  mailClass: string | null;
  /** the sender passed the loopback limit but the mailbox processes such mail (processIfLoopbackDetected) */
  loopbackCandidate: boolean;
  /** SMTP: who connected (remoteAddress, helo, mailFrom); null for other sources */
  envelope: { remoteAddress: string | null; helo: string | null; mailFrom: string | null } | null;
  /** a rule's timer: the job is not opened again before this time (ms), and then goes on */
  deferUntil: number | null;
  /** the mailbox a filter rule diverted the message to */
  routedMailbox: string | null;
}

/** One step of the decision trace: what a stage looked at, what it concluded, and why. */
export interface TraceStep {
  stage: string;
  looked: string;
  concluded: string;
  why: string;
}

export interface RecordRow {
  id: number;
  type: string;
  number: string;
  subject: string;
  requester: string;
  firstText: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
  /** open, resolved, closed … as rules set it; a reply may reopen a resolved record */
  status: string;
  assignee: string | null;
  tags: string[];
  fields: Record<string, string>;
}

/** A record as apply creates it; rules set the rest afterwards. */
export type NewRecord = Omit<RecordRow, 'id' | 'messageCount' | 'status' | 'assignee' | 'tags' | 'fields'>;

/** What parse found out about an attachment; its bytes are already in blob storage. */
export interface AttachmentMeta {
  ordinal: number;
  /** display name only, sanitized; never used as a path */
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  contentId: string | null;
  inline: boolean;
}

/** A bounce, delivery notice, read receipt or complaint as stored, linked to what it concerns. */
export interface NoticeRow {
  messageRef: number;
  kind: string;
  originalMessageId: string | null;
  linkedMessageRef: number | null;
  recordId: number | null;
  recipients: { address: string; status: string; replyCode: string; hard: boolean; reason: string }[];
  createdAt: number;
}

export interface AddressStatusRow {
  address: string;
  bouncing: boolean;
  bounces: number;
  lastStatus: string | null;
  lastReason: string | null;
  lastNoticeRef: number | null;
  updatedAt: number;
}

/** An attachment as catalogued for a stored message. */
export interface AttachmentRow extends AttachmentMeta {
  messageId: number;
}
