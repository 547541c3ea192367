import type { OutboxRow, WebhookDeliveryRow } from '../core/outbound.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/**
 * The options `outbox list` and `webhooks list` share: `--state`, `--failed` (the state a row ends
 * in when it is given up on) and `--limit`, checked with messages that say what to type instead.
 */
export function queueFilter<S extends string>(
  opts: { state?: string | undefined; failed?: boolean | undefined; limit?: string | undefined },
  states: readonly S[],
  givenUp: S,
  option: (name: string) => string = (name) => `--${name}`,
): { state?: S; limit: number } {
  if (opts.failed && opts.state !== undefined && opts.state !== givenUp)
    throw new Error(
      `${option('failed')} lists the state ${givenUp}; leave out ${option('state')} or use ${option('state')} ${givenUp}`,
    );
  const state = opts.failed ? givenUp : opts.state;
  if (state !== undefined && !(states as readonly string[]).includes(state))
    throw new Error(`unknown state "${state}"; use one of ${states.join(', ')}`);
  const limit = opts.limit === undefined ? 1000 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(`${option('limit')} must be a whole number of at least 1, got "${opts.limit}"`);
  return { ...(state !== undefined ? { state: state as S } : {}), limit };
}

/** The JSON shape of an outbox row; field names are a contract for scripts. */
export function outboxJson(r: OutboxRow): Record<string, unknown> {
  return {
    id: r.id,
    state: r.state,
    mailbox: r.mailbox,
    kind: r.kind,
    automatic: r.automatic,
    messageId: r.messageId,
    from: r.mail.from.address,
    to: r.mail.to,
    cc: r.mail.cc,
    subject: r.mail.subject,
    inReplyTo: r.mail.inReplyTo,
    messageRef: r.messageRef,
    recordId: r.recordId,
    attempts: r.attempts,
    nextAttemptAt: r.state === 'queued' ? iso(r.nextAttemptAt) : null,
    lastError: r.lastError,
    createdAt: iso(r.createdAt),
    sentAt: r.sentAt === null ? null : iso(r.sentAt),
  };
}

/** The JSON shape of a delivery in `webhooks list --json`; field names are a contract for scripts. */
export function deliveryJson(d: WebhookDeliveryRow) {
  return {
    id: d.id,
    eventId: d.eventId,
    message: d.messageRef,
    endpoint: d.endpoint,
    url: d.url,
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: d.state === 'queued' ? isoOrNull(d.nextAttemptAt) : null,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: isoOrNull(d.createdAt),
    deliveredAt: isoOrNull(d.deliveredAt),
  };
}
