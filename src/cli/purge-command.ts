import { purgeRawMail, RETAINED_STATES, retentionQueries } from '../apply/purge-raw.ts';
import { parseDuration } from '../config/units.ts';
import type { MessageState } from '../core/message.ts';
import type { RetentionQuery } from '../store/store.ts';
import type { App } from './app.ts';
import { printJson } from './format.ts';
import { parseState } from '../admin/message-filter.ts';

export interface PurgeOptions {
  olderThan?: string;
  state?: string;
  dryRun?: boolean;
  json?: boolean;
}

const finalStates: readonly MessageState[] = [...RETAINED_STATES, 'failed'];

/**
 * `messages purge`: deletes the raw mail of final messages, now, by the configured `retention`
 * or by `--older-than` (and `--state`). Rows, traces and records stay.
 */
export async function purgeMessages(app: App, opts: PurgeOptions): Promise<void> {
  const queries = purgeQueries(app, opts, Date.now());
  const totals = await purgeRawMail(app, queries, { dryRun: opts.dryRun === true });
  if (opts.json) return printJson({ dryRun: opts.dryRun === true, messages: totals.messages, bytes: totals.bytes });
  const size = `${(totals.bytes / 1024 / 1024).toFixed(1)} MB`;
  process.stdout.write(
    opts.dryRun
      ? `would delete the raw mail of ${totals.messages} message(s), up to ${size}; nothing was changed\n`
      : `deleted the raw mail of ${totals.messages} message(s), ${size} freed; their rows, traces and records are kept\n`,
  );
}

function purgeQueries(app: App, opts: PurgeOptions, now: number): RetentionQuery[] {
  if (opts.olderThan === undefined) {
    if (opts.state !== undefined) throw new Error('--state needs --older-than (for example: --older-than 30d --state failed)');
    const queries = retentionQueries(app.config.retention, now);
    if (queries.length === 0)
      throw new Error(
        'retention.rawMail and retention.failedMail are both forever, so nothing is due; give --older-than (for example 90d) or set retention.rawMail in the config',
      );
    return queries;
  }
  let age: number;
  try {
    age = parseDuration(opts.olderThan, 'ms');
  } catch (err) {
    throw new Error(`--older-than: ${(err as Error).message}`, { cause: err });
  }
  const states = opts.state === undefined ? RETAINED_STATES : [parseState(opts.state)];
  for (const state of states)
    if (!finalStates.includes(state))
      throw new Error(`--state ${state}: only final mail is purged; use one of: ${finalStates.join(', ')}`);
  return [{ states, finishedBefore: now - age }];
}
