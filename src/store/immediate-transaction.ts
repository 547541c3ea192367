import { sql, type Kysely } from 'kysely';
import type { Database } from './tables.ts';

/**
 * Runs `work` in a SQLite transaction opened with BEGIN IMMEDIATE. Kysely's BEGIN is deferred:
 * a transaction that reads first and writes later upgrades mid-way, and in WAL mode an upgrade
 * after another connection committed fails at once with SQLITE_BUSY, busy_timeout or not.
 * Taking the write lock up front makes the other writer wait instead.
 */
export function immediateTransaction<T>(
  db: Kysely<Database>,
  work: (conn: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`BEGIN IMMEDIATE`.execute(conn);
    try {
      const result = await work(conn);
      await sql`COMMIT`.execute(conn);
      return result;
    } catch (err) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw err;
    }
  });
}
