import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CheckResult } from '../admin/health-check.ts';
import type { EngineStatus } from '../admin/status-report.ts';
import { messageStates } from '../core/message.ts';

/**
 * Prometheus metrics. The mail figures are gauges read from the store at each scrape, so they
 * are the cluster's, not this process's: every node answers the same, and a restart loses
 * nothing. The process figures (memory, CPU, event-loop lag) are this node's.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  private readonly up = this.gauge(
    'postroom_store_up',
    'Whether the store answered this scrape (1) or not (0).',
  );
  private readonly messages = this.gauge('postroom_messages', 'Messages by state.', ['state']);
  private readonly mailboxMessages = this.gauge(
    'postroom_mailbox_messages',
    'Messages by mailbox and state.',
    ['mailbox', 'state'],
  );
  private readonly oldestQueued = this.gauge(
    'postroom_oldest_queued_age_seconds',
    'Age of the oldest message waiting to be processed (0 when none waits).',
  );
  private readonly records = this.gauge('postroom_records', 'Records (tickets, cases) mail has opened.');
  private readonly duplicates = this.gauge(
    'postroom_duplicate_deliveries_ignored',
    'Deliveries of mail already spooled, ignored.',
  );
  private readonly lastSuccess = this.gauge(
    'postroom_mailbox_last_success_timestamp_seconds',
    'When the mailbox was last polled without error (Unix time).',
    ['mailbox', 'connector'],
  );
  private readonly lastPoll = this.gauge(
    'postroom_mailbox_last_poll_timestamp_seconds',
    'When the mailbox was last polled (Unix time).',
    ['mailbox', 'connector'],
  );
  private readonly backlog = this.gauge(
    'postroom_mailbox_backlog',
    'Mail left on the server after the last poll.',
    ['mailbox'],
  );
  private readonly stalled = this.gauge(
    'postroom_mailbox_stalled',
    '1 when three polling intervals passed without a good poll.',
    ['mailbox'],
  );
  private readonly failing = this.gauge('postroom_mailbox_poll_failing', '1 when the last poll failed.', [
    'mailbox',
  ]);
  private readonly moves = this.gauge(
    'postroom_mailbox_moves',
    'Rule moves waiting (pending) or refused by the server (failed).',
    ['mailbox', 'state'],
  );
  private readonly outbox = this.gauge('postroom_outbox', 'Outgoing mail by state.', ['state']);
  private readonly webhooks = this.gauge('postroom_webhook_deliveries', 'Webhook deliveries by state.', [
    'state',
  ]);
  private readonly health = this.gauge(
    'postroom_health_status',
    'The status check: 0 ok, 1 warning, 2 critical (see /health).',
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /** Sets the mail gauges from a status read; null when the store did not answer. */
  update(status: EngineStatus | null, check: CheckResult | null): void {
    for (const g of [
      this.messages,
      this.mailboxMessages,
      this.lastSuccess,
      this.lastPoll,
      this.backlog,
      this.stalled,
      this.failing,
      this.moves,
      this.outbox,
      this.webhooks,
    ])
      g.reset();
    this.up.set(status ? 1 : 0);
    if (!status) return;
    for (const state of messageStates) this.messages.set({ state }, status.byState[state] ?? 0);
    for (const [mailbox, byState] of Object.entries(status.byMailbox))
      for (const state of messageStates) this.mailboxMessages.set({ mailbox, state }, byState[state] ?? 0);
    this.oldestQueued.set(status.oldestQueuedAgeSeconds ?? 0);
    this.records.set(status.records);
    this.duplicates.set(status.duplicatesIgnored);
    for (const m of status.mailboxes) {
      const at = (iso: string | null): number => (iso === null ? 0 : Date.parse(iso) / 1000);
      this.lastSuccess.set({ mailbox: m.mailbox, connector: m.connector }, at(m.lastSuccess));
      this.lastPoll.set({ mailbox: m.mailbox, connector: m.connector }, at(m.lastPoll));
      if (m.backlog !== null) this.backlog.set({ mailbox: m.mailbox }, m.backlog);
      this.stalled.set({ mailbox: m.mailbox }, m.stalled ? 1 : 0);
      this.failing.set({ mailbox: m.mailbox }, m.lastError === null ? 0 : 1);
      this.moves.set({ mailbox: m.mailbox, state: 'pending' }, m.moves.pending);
      this.moves.set({ mailbox: m.mailbox, state: 'failed' }, m.moves.failed);
    }
    for (const [state, n] of Object.entries(status.outbox)) this.outbox.set({ state }, n ?? 0);
    for (const [state, n] of Object.entries(status.webhooks)) this.webhooks.set({ state }, n ?? 0);
    if (check) this.health.set({ ok: 0, warning: 1, critical: 2 }[check.status]);
  }
}
