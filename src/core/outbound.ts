/**
 * What apply hands to the senders: mail to send (the outbox) and events to POST (webhooks).
 * Both are rows written in the apply transaction, so an effect exists exactly when its message
 * committed; the senders drain them afterwards, each row at least once, recognisably once.
 */

/** One mail we send, fixed at commit: the sender builds the same MIME from it on every try. */
export interface OutgoingMail {
  from: { address: string; name: string };
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string | null;
  /** without angle brackets; signed, so replies and our own loopback check recognise it */
  messageId: string;
  /** ms since epoch: the Date header, the same on every try */
  date: number;
  /** without angle brackets */
  inReplyTo: string | null;
  references: string[];
  /** Auto-Submitted, X-Auto-Response-Suppress, X-Postroom-Record … */
  headers: Record<string, string>;
  /** forward: the original mail attached as message/rfc822 (its blob) */
  attachOriginal: { sha256: string; filename: string } | null;
  /** redirect: the original bytes sent on unchanged, with Resent-* headers, to `to` */
  resendOriginal: { sha256: string } | null;
}

export const outboxStates = ['queued', 'sending', 'sent', 'failed'] as const;
export type OutboxState = (typeof outboxStates)[number];

export interface OutboxRow {
  id: number;
  /** the mail that caused it; null when an admin sent it */
  messageRef: number | null;
  /** the nth outgoing mail of that message: (messageRef, seq) is unique, so a replay adds none */
  seq: number;
  recordId: number | null;
  /** the mailbox whose outbound profile sends it (and whose Sent folder keeps the copy) */
  mailbox: string;
  /** reply, forward, redirect, notice */
  kind: string;
  /** an automatic answer (counted by the loop limits) rather than a rule's forward */
  automatic: boolean;
  /** the first To, lower-cased: what the per-sender loop limit counts */
  recipient: string;
  messageId: string;
  mail: OutgoingMail;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  /** the server's answer of the last failed try */
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

export type NewOutboxRow = Pick<
  OutboxRow,
  'messageRef' | 'seq' | 'recordId' | 'mailbox' | 'kind' | 'automatic' | 'recipient' | 'messageId' | 'mail' | 'createdAt'
>;

export const webhookStates = ['queued', 'delivering', 'delivered', 'dead'] as const;
export type WebhookState = (typeof webhookStates)[number];

export interface WebhookDeliveryRow {
  id: number;
  /** the idempotency key: the same event keeps it on every try and on a replay */
  eventId: string;
  messageRef: number | null;
  /** the name of the endpoint under webhooks.endpoints */
  endpoint: string;
  url: string;
  /** the JSON document as committed (attachments inline are added when sending) */
  body: string;
  state: WebhookState;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

export type NewWebhookDelivery = Pick<
  WebhookDeliveryRow,
  'eventId' | 'messageRef' | 'endpoint' | 'url' | 'body' | 'createdAt'
>;
