// `postroom status --check`: which findings make a warning, which a critical, and the line a
// monitoring system shows.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { checkExitCodes, checkHealth, checkLine, type CheckInput } from '../../src/admin/health-check.ts';

const healthy: CheckInput = {
  byState: { processed: 10 },
  oldestQueuedAgeSeconds: null,
  mailboxes: [{ mailbox: 'support@example.com', stalled: false, lagSeconds: 5, lastError: null, moves: { failed: 0 } }],
  outbox: { sent: 3 },
  webhooks: { delivered: 2 },
};

it('ok when mail moves and nothing waits for an admin', () => {
  const result = checkHealth(healthy, 900);
  assert.deepEqual(result, { status: 'ok', problems: [] });
  assert.equal(checkLine(result), 'POSTROOM OK - mail is moving, nothing to look at');
  assert.equal(checkExitCodes[result.status], 0);
});

it('warning for quarantined mail, given-up answers, dead webhooks, a failing poll and refused moves', () => {
  const result = checkHealth(
    {
      ...healthy,
      byState: { processed: 10, failed: 2 },
      mailboxes: [{ mailbox: 'support@example.com', stalled: false, lagSeconds: 40, lastError: 'authentication failed', moves: { failed: 1 } }],
      outbox: { failed: 1 },
      webhooks: { dead: 3 },
    },
    900,
  );
  assert.equal(result.status, 'warning');
  assert.equal(checkExitCodes[result.status], 1);
  assert.deepEqual(result.problems, [
    'support@example.com: last poll failed: authentication failed',
    'support@example.com: 1 rule move(s) refused by the server',
    '2 failed message(s) in quarantine (postroom messages list --state failed)',
    '1 outgoing mail(s) given up (postroom outbox list --failed)',
    '3 dead webhook deliveries (postroom webhooks list --failed)',
  ]);
});

it('critical for a stalled mailbox or mail waiting too long, listed before the warnings', () => {
  const result = checkHealth(
    {
      ...healthy,
      byState: { failed: 1, queued: 4 },
      oldestQueuedAgeSeconds: 1200,
      mailboxes: [{ mailbox: 'sales@example.com', stalled: true, lagSeconds: 700, lastError: 'connection refused', moves: { failed: 0 } }],
    },
    900,
  );
  assert.equal(result.status, 'critical');
  assert.equal(checkExitCodes[result.status], 2);
  assert.deepEqual(result.problems, [
    'sales@example.com stalled (last good poll 700s ago: connection refused)',
    'mail waiting 1200s (more than 900s): is postroom start running?',
    '1 failed message(s) in quarantine (postroom messages list --state failed)',
  ]);
  assert.match(checkLine(result), /^POSTROOM CRITICAL - sales@example\.com stalled/);
});

it('mail waiting up to the limit is not critical', () => {
  assert.equal(checkHealth({ ...healthy, oldestQueuedAgeSeconds: 900 }, 900).status, 'ok');
});
