/**
 * The options `outbox list` and `webhooks list` share: `--state`, `--failed` (the state a row ends
 * in when it is given up on) and `--limit`, checked with messages that say what to type instead.
 */
export function queueFilter<S extends string>(
  opts: { state?: string; failed?: boolean; limit?: string },
  states: readonly S[],
  givenUp: S,
): { state?: S; limit: number } {
  if (opts.failed && opts.state !== undefined && opts.state !== givenUp)
    throw new Error(`--failed lists the state ${givenUp}; leave out --state or use --state ${givenUp}`);
  const state = opts.failed ? givenUp : opts.state;
  if (state !== undefined && !(states as readonly string[]).includes(state))
    throw new Error(`unknown state "${state}"; use one of ${states.join(', ')}`);
  const limit = opts.limit === undefined ? 1000 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a whole number of at least 1, got "${opts.limit}"`);
  return { ...(state !== undefined ? { state: state as S } : {}), limit };
}
