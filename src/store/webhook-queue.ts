import type { Kysely } from 'kysely';
import type { WebhookDeliveryRow, WebhookState } from '../core/outbound.ts';
import { claimDue, countByState, releaseDead, settleLeased } from './lease-queue.ts';
import { toWebhookRow } from './row-mapping.ts';
import { storeCall } from './store-call.ts';
import type { WebhookQueue } from './store.ts';
import type { Database } from './tables.ts';

const states = { waiting: 'queued', working: 'delivering' };

export class KyselyWebhookQueue implements WebhookQueue {
  private readonly db: Kysely<Database>;
  private readonly dialect: 'sqlite' | 'postgres';

  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
    this.db = db;
    this.dialect = dialect;
  }

  async claim(owner: string, limit: number, now: number, leaseMs: number): Promise<WebhookDeliveryRow[]> {
    const ids = await claimDue(this.db, this.dialect, 'webhook_deliveries', states, { owner, limit, now, leaseMs });
    if (ids.length === 0) return [];
    const rows = await storeCall(() =>
      this.db.selectFrom('webhook_deliveries').selectAll().where('id', 'in', ids).orderBy('id').execute(),
    );
    return rows.map(toWebhookRow);
  }

  markDelivered(id: number, owner: string, status: number, now: number): Promise<boolean> {
    return settleLeased(this.db, 'webhook_deliveries', id, owner, states.working, {
      state: 'delivered',
      last_status: status,
      last_error: null,
      delivered_at: now,
    });
  }

  async retry(id: number, owner: string, nextAttemptAt: number, status: number | null, error: string): Promise<void> {
    await settleLeased(this.db, 'webhook_deliveries', id, owner, states.working, {
      state: 'queued',
      next_attempt_at: nextAttemptAt,
      last_status: status,
      last_error: error,
    });
  }

  async markDead(id: number, owner: string, status: number | null, error: string): Promise<void> {
    await settleLeased(this.db, 'webhook_deliveries', id, owner, states.working, {
      state: 'dead',
      last_status: status,
      last_error: error,
    });
  }

  releaseDead(isDead: (owner: string) => boolean): Promise<number> {
    return releaseDead(this.db, 'webhook_deliveries', states.working, isDead);
  }

  counts(): Promise<Record<string, number>> {
    return countByState(this.db, 'webhook_deliveries');
  }

  async get(id: number): Promise<WebhookDeliveryRow | undefined> {
    const row = await storeCall(() =>
      this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row && toWebhookRow(row);
  }

  async list(filter: { state?: WebhookState; limit: number }): Promise<WebhookDeliveryRow[]> {
    let q = this.db.selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').limit(filter.limit);
    if (filter.state) q = q.where('state', '=', filter.state);
    const rows = await storeCall(() => q.execute());
    return rows.map(toWebhookRow);
  }

  async replay(id: number, now: number): Promise<boolean> {
    const result = await storeCall(() =>
      this.db
        .updateTable('webhook_deliveries')
        .set({ state: 'queued', attempts: 0, next_attempt_at: now, lease_owner: null, lease_expires_at: null })
        .where('id', '=', id)
        .where('state', '!=', 'delivering')
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }
}
