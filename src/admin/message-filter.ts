import { parseDuration } from '../config/units.ts';
import { messageStates, type MessageState } from '../core/message.ts';
import type { MessageFilter } from '../store/store.ts';

/** The message listing's filters as text, from CLI flags or API query parameters (same names). */
export interface MessageQuery {
  state?: string | undefined;
  mailbox?: string | undefined;
  from?: string | undefined;
  subject?: string | undefined;
  messageId?: string | undefined;
  since?: string | undefined;
  newest?: boolean | undefined;
  limit?: string | undefined;
  /** paging in id order: only messages with a larger id */
  afterId?: string | undefined;
}

/** Parses a state name, naming the valid ones when it is wrong. */
export function parseState(value: string): MessageState {
  if ((messageStates as readonly string[]).includes(value)) return value as MessageState;
  throw new Error(`unknown state "${value}"; use one of: ${messageStates.join(', ')}`);
}

/** `since`: a duration back from now (7d, 2h) or a date (2026-11-01, 2026-11-01T09:00:00Z). */
export function parseSince(value: string, now: number): number {
  if (/^\d+(ms|s|m|h|d)$/.test(value)) return now - parseDuration(value, 'ms');
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw new Error(
      `${value}: give a duration back from now (7d, 2h) or a date (2026-11-01 or 2026-11-01T09:00:00Z)`,
    );
  return at;
}

/**
 * The store filter for a listing; a bad value throws an Error naming the option, written as
 * `option` says (`--limit` on the command line, `limit` in the API).
 */
export function parseMessageQuery(
  q: MessageQuery,
  now: number,
  option: (name: string) => string,
): MessageFilter {
  const limit = Number(q.limit ?? 1000);
  if (!Number.isInteger(limit) || limit < 1)
    throw new Error(
      `${option('limit')} ${q.limit}: give a whole number of messages, e.g. ${option('limit')} 50`,
    );
  const afterId = q.afterId === undefined ? undefined : Number(q.afterId);
  if (afterId !== undefined && !Number.isInteger(afterId))
    throw new Error(`${option('afterId')} ${q.afterId}: give a message id`);
  const since = (value: string): number => {
    try {
      return parseSince(value, now);
    } catch (err) {
      throw new Error(`${option('since')} ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    ...(q.state ? { state: parseState(q.state) } : {}),
    ...(q.mailbox ? { mailbox: q.mailbox } : {}),
    ...(q.from ? { from: q.from } : {}),
    ...(q.subject ? { subject: q.subject } : {}),
    ...(q.messageId ? { messageId: q.messageId.replace(/^<|>$/g, '') } : {}),
    ...(q.since ? { since: since(q.since) } : {}),
    ...(q.newest ? { newest: true } : {}),
    ...(afterId !== undefined ? { afterId } : {}),
    limit,
  };
}
