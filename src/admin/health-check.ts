/**
 * `postroom status --check`: the status as a monitoring probe, with the exit codes Nagios,
 * Icinga and most cron/systemd wrappers read: 0 ok, 1 warning, 2 critical.
 *   critical: a mailbox stalled (three intervals without a good poll), or mail waiting longer
 *             than --max-queue-age: the engine is down or stuck, and mail is not moving.
 *   warning:  quarantined (failed) mail, outbox mail given up, dead webhook deliveries, a
 *             mailbox whose last poll failed, or rule moves the server refused: an admin has
 *             something to look at, but mail is moving.
 */
export type CheckStatus = 'ok' | 'warning' | 'critical';

export interface CheckInput {
  byState: Partial<Record<string, number>>;
  oldestQueuedAgeSeconds: number | null;
  mailboxes: readonly {
    mailbox: string;
    stalled: boolean;
    lagSeconds: number | null;
    lastError: string | null;
    moves: { failed: number };
  }[];
  outbox: Record<string, number | undefined>;
  webhooks: Record<string, number | undefined>;
}

export interface CheckResult {
  status: CheckStatus;
  /** each problem in a sentence, the critical ones first */
  problems: string[];
}

export const checkExitCodes: Readonly<Record<CheckStatus, number>> = { ok: 0, warning: 1, critical: 2 };

export function checkHealth(s: CheckInput, maxQueueAgeSeconds: number): CheckResult {
  const critical: string[] = [];
  const warning: string[] = [];
  for (const m of s.mailboxes) {
    if (m.stalled)
      critical.push(
        `${m.mailbox} stalled (${m.lagSeconds === null ? 'never polled successfully' : `last good poll ${m.lagSeconds}s ago`}${m.lastError ? `: ${m.lastError}` : ''})`,
      );
    else if (m.lastError) warning.push(`${m.mailbox}: last poll failed: ${m.lastError}`);
    if (m.moves.failed > 0)
      warning.push(`${m.mailbox}: ${m.moves.failed} rule move(s) refused by the server`);
  }
  if (s.oldestQueuedAgeSeconds !== null && s.oldestQueuedAgeSeconds > maxQueueAgeSeconds)
    critical.push(
      `mail waiting ${s.oldestQueuedAgeSeconds}s (more than ${maxQueueAgeSeconds}s): is postroom start running?`,
    );
  const failed = s.byState['failed'] ?? 0;
  if (failed > 0)
    warning.push(`${failed} failed message(s) in quarantine (postroom messages list --state failed)`);
  const outboxFailed = s.outbox['failed'] ?? 0;
  if (outboxFailed > 0)
    warning.push(`${outboxFailed} outgoing mail(s) given up (postroom outbox list --failed)`);
  const dead = s.webhooks['dead'] ?? 0;
  if (dead > 0) warning.push(`${dead} dead webhook deliveries (postroom webhooks list --failed)`);
  const status: CheckStatus = critical.length > 0 ? 'critical' : warning.length > 0 ? 'warning' : 'ok';
  return { status, problems: [...critical, ...warning] };
}

/** One line, as monitoring systems show it: `POSTROOM WARNING - 2 failed message(s) …`. */
export function checkLine(result: CheckResult): string {
  const head = `POSTROOM ${result.status.toUpperCase()}`;
  return result.problems.length === 0
    ? `${head} - mail is moving, nothing to look at`
    : `${head} - ${result.problems.join('; ')}`;
}
