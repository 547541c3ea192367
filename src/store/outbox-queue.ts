import type { Kysely } from 'kysely';
import type { OutboxRow, OutboxState } from '../core/outbound.ts';
import { claimDue, countByState, releaseDead, settleLeased } from './lease-queue.ts';
import { toOutboxRow } from './row-mapping.ts';
import { storeCall } from './store-call.ts';
import type { OutboxQueue } from './store.ts';
import type { Database } from './tables.ts';

const states = { waiting: 'queued', working: 'sending' };

export class KyselyOutboxQueue implements OutboxQueue {
  private readonly db: Kysely<Database>;
  private readonly dialect: 'sqlite' | 'postgres';

  constructor(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
    this.db = db;
    this.dialect = dialect;
  }

  async claim(owner: string, limit: number, now: number, leaseMs: number): Promise<OutboxRow[]> {
    const ids = await claimDue(this.db, this.dialect, 'outbox', states, { owner, limit, now, leaseMs });
    if (ids.length === 0) return [];
    const rows = await storeCall(() => this.db.selectFrom('outbox').selectAll().where('id', 'in', ids).orderBy('id').execute());
    return rows.map(toOutboxRow);
  }

  markSent(id: number, owner: string, now: number): Promise<boolean> {
    return settleLeased(this.db, 'outbox', id, owner, states.working, { state: 'sent', sent_at: now, last_error: null });
  }

  async retry(id: number, owner: string, nextAttemptAt: number, error: string): Promise<void> {
    await settleLeased(this.db, 'outbox', id, owner, states.working, {
      state: 'queued',
      next_attempt_at: nextAttemptAt,
      last_error: error,
    });
  }

  async fail(id: number, owner: string, error: string): Promise<void> {
    await settleLeased(this.db, 'outbox', id, owner, states.working, { state: 'failed', last_error: error });
  }

  releaseDead(isDead: (owner: string) => boolean): Promise<number> {
    return releaseDead(this.db, 'outbox', states.working, isDead);
  }

  counts(): Promise<Record<string, number>> {
    return countByState(this.db, 'outbox');
  }

  async get(id: number): Promise<OutboxRow | undefined> {
    const row = await storeCall(() => this.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst());
    return row && toOutboxRow(row);
  }

  async list(filter: { state?: OutboxState; limit: number }): Promise<OutboxRow[]> {
    let q = this.db.selectFrom('outbox').selectAll().orderBy('id', 'desc').limit(filter.limit);
    if (filter.state) q = q.where('state', '=', filter.state);
    const rows = await storeCall(() => q.execute());
    return rows.map(toOutboxRow);
  }
}
