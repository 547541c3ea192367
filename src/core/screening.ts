/** What screening concluded about a message: one class, with the evidence for it. */
export const mailClasses = [
  'general',
  'auto_reply',
  'bounce',
  'delivery_notice',
  'read_receipt',
  'complaint',
  'challenge',
  'loopback',
] as const;
export type MailClass = (typeof mailClasses)[number];

export type NoticeKind = 'bounce' | 'delivery_notice' | 'read_receipt' | 'complaint';

/** One recipient a bounce, delivery notice or report speaks of. */
export interface NoticeRecipient {
  address: string;
  /** enhanced status code, e.g. 5.1.1; '' when the MTA gives none */
  status: string;
  /** SMTP reply code, e.g. 550; '' when none */
  replyCode: string;
  /** permanent failure: the address should be marked as bouncing */
  hard: boolean;
  /** Sisimai's vocabulary: userunknown, mailboxfull, hostunknown, filtered, rejected, spamdetected, expired, blocked, policyviolation, mesgtoobig, suspend, systemerror, delivered, feedback, undefined … */
  reason: string;
  /** DSN Action: failed, delayed, delivered, relayed, expanded; '' when none */
  action: string;
  /** the MTA's own words about this recipient, trimmed */
  diagnostic: string;
}

/** The machine-readable content of a bounce, delivery notice, read receipt or complaint. */
export interface Notice {
  kind: NoticeKind;
  recipients: NoticeRecipient[];
  /** Message-ID of the mail the notice is about, without angle brackets */
  originalMessageId: string | null;
  originalRecipient: string | null;
  reportingMta: string | null;
  /** MDN: e.g. { actionMode: 'manual-action', sendingMode: 'mdn-sent-manually', type: 'displayed' } */
  disposition: { actionMode: string; sendingMode: string; type: string; modifiers: string[] } | null;
  /** ARF: abuse, fraud, opt-out, virus, other … */
  feedbackType: string | null;
  /** how it was read: 'dsn' (RFC 3464), 'mdn' (RFC 8098), 'arf' (RFC 5965), or the MTA text format's name */
  format: string;
}

/** What a detector found: the class it argues for and why. */
export interface Finding {
  class: MailClass;
  evidence: string[];
}

export interface NoticeFinding extends Finding {
  notice: Notice;
}

export interface LoopDetails {
  /** 'signature': our own outgoing mail came back; 'rate': the sender passed the mailbox's limit */
  kind: 'signature' | 'rate';
  evidence: string;
  /** rate: mails seen from this sender (or sender+subject) within the interval, this one included */
  count?: number;
  limit?: number;
  intervalMs?: number;
  /** true when the mailbox has processIfLoopbackDetected and the message goes on flagged */
  processed: boolean;
}

export interface ForwardedOriginal {
  from: { address: string; name: string } | null;
  date: string | null;
  subject: string | null;
  /** the forwarder's own text above the forwarded block */
  note: string;
}

/** Screening and categorizing, as the plan and `postroom decide` carry them. */
export interface Screening {
  class: MailClass;
  evidence: string[];
  notice: Notice | null;
  autoReply: { evidence: string[] } | null;
  loop: LoopDetails | null;
  /** mailing-list mail: flagged, not treated as an auto-reply */
  list: { evidence: string[] } | null;
  /** true for anything our outbound side must never answer automatically */
  suppressAutoAnswer: boolean;
}

export type Category = 'new' | 'reply' | 'forward';

export interface Categorization {
  category: Category;
  evidence: string[];
  forwarded: ForwardedOriginal | null;
  replyText: string;
  /** what reply trimming removed: quoted history, signature */
  removedText: string;
}
