import type { Kysely } from 'kysely';
import { storeCall } from './store-call.ts';
import type { Database } from './tables.ts';

/** The two queues drained after commit; both have the same lease columns. */
type QueueTable = 'outbox' | 'webhook_deliveries';

/**
 * Leases up to `limit` rows that are due: `waiting` and due, or `working` with an expired lease
 * (its sender died mid-try). Counting the attempt at the claim means a row that kills its sender
 * every time still reaches its final state. PostgreSQL skips rows other senders hold.
 */
export async function claimDue(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  table: QueueTable,
  states: { waiting: string; working: string },
  q: { owner: string; limit: number; now: number; leaseMs: number },
): Promise<number[]> {
  // Both tables share these columns; Kysely cannot type a union of table names, so one is named.
  const t = table as 'outbox';
  return storeCall(async () => {
    let due = db
      .selectFrom(t)
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', states.waiting), eb('next_attempt_at', '<=', q.now)]),
          eb.and([eb('state', '=', states.working), eb('lease_expires_at', '<', q.now)]),
        ]),
      )
      .orderBy('id')
      .limit(q.limit);
    if (dialect === 'postgres') due = due.forUpdate().skipLocked();
    // SQLite: an UPDATE takes the one write lock even when it changes nothing; the senders poll
    // often and the queues are mostly empty, so look first and leave the lock to the workers.
    else if ((await due.executeTakeFirst()) === undefined) return [];
    const rows = await db
      .updateTable(t)
      .set((eb) => ({
        state: states.working,
        lease_owner: q.owner,
        lease_expires_at: q.now + q.leaseMs,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', 'in', due)
      .returning('id')
      .execute();
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  });
}

/**
 * Frees the rows a dead sender held (its process on this host is gone), so a restart re-sends
 * them at once instead of after the lease. Returns how many.
 */
export async function releaseDead(
  db: Kysely<Database>,
  table: QueueTable,
  working: string,
  isDead: (owner: string) => boolean,
): Promise<number> {
  const t = table as 'outbox';
  const owners = await storeCall(() =>
    db.selectFrom(t).select('lease_owner').distinct().where('state', '=', working).where('lease_owner', 'is not', null).execute(),
  );
  const dead = owners.map((o) => o.lease_owner).filter((o): o is string => o !== null && isDead(o));
  if (dead.length === 0) return 0;
  const result = await storeCall(() =>
    db.updateTable(t).set({ lease_expires_at: 0 }).where('state', '=', working).where('lease_owner', 'in', dead).executeTakeFirst(),
  );
  return Number(result.numUpdatedRows);
}

/** Rows per state: what `postroom status` shows of the outbox and the webhook queue. */
export async function countByState(db: Kysely<Database>, table: QueueTable): Promise<Record<string, number>> {
  const t = table as 'outbox';
  const rows = await storeCall(() =>
    db.selectFrom(t).select((eb) => ['state', eb.fn.countAll<number>().as('n')]).groupBy('state').execute(),
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Moves a leased row on, only while `owner` still holds it; false when it does not. */
export async function settleLeased(
  db: Kysely<Database>,
  table: QueueTable,
  id: number,
  owner: string,
  working: string,
  values: Record<string, string | number | null>,
): Promise<boolean> {
  const t = table as 'outbox';
  const result = await storeCall(() =>
    db
      .updateTable(t)
      .set({ ...values, lease_owner: null, lease_expires_at: null })
      .where('id', '=', id)
      .where('state', '=', working)
      .where('lease_owner', '=', owner)
      .executeTakeFirst(),
  );
  return Number(result.numUpdatedRows) === 1;
}
