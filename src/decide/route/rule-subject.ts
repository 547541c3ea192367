import type { DecideContext, Draft, Identity } from '../context.ts';
import type { AttachmentMeta } from '../../core/plan.ts';

/**
 * The message as rules see it. Pre-filter policies and plugins may alter subject, text and
 * headers; later phases match the altered values, as Mercury's policies intend.
 */
export interface RuleSubject {
  mailbox: string;
  subject: string;
  text: string;
  replyText: string;
  /** lower-cased name → values */
  headers: Record<string, string[]>;
  from: string;
  to: string[];
  cc: string[];
  attachments: readonly AttachmentMeta[];
  size: number;
  class: string;
  category: string;
  identity: Identity | null;
  loopback: boolean;
  autoSubmitted: boolean;
  list: string | null;
  tags: string[];
  score: number;
  /** arrival time (ms): a replay of the same mail meets the same time conditions */
  receivedAt: number;
}

export function ruleSubjectOf(ctx: DecideContext, draft: Draft): RuleSubject {
  const p = draft.parsed;
  const headers = p?.headers ?? {};
  return {
    mailbox: ctx.message.routedMailbox ?? ctx.mailbox.address.toLowerCase(),
    subject: p?.subject ?? ctx.message.subject ?? '',
    text: p?.text ?? '',
    replyText: draft.categorization?.replyText ?? p?.text ?? '',
    headers: { ...headers },
    from: (p?.from?.address ?? ctx.message.from ?? '').toLowerCase(),
    to: (p?.to ?? []).map((a) => a.address.toLowerCase()),
    cc: (p?.cc ?? []).map((a) => a.address.toLowerCase()),
    attachments: p?.attachments ?? [],
    size: ctx.message.rawSize,
    class: draft.screening?.class ?? 'general',
    category: draft.categorization?.category ?? 'new',
    identity: draft.identity ?? null,
    loopback: draft.screening?.loop?.processed === true,
    autoSubmitted: (headers['auto-submitted'] ?? []).some((v) => !/^\s*no\b/i.test(v)),
    list: draft.screening?.list ? (headers['list-id']?.[0] ?? '') : null,
    tags: [],
    score: 0,
    receivedAt: ctx.message.receivedAt,
  };
}
