import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { immediateTransaction } from './immediate-transaction.ts';
import type { Database } from './tables.ts';

const migrationsRoot = fileURLToPath(new URL('../migrations/', import.meta.url));

/**
 * Applies the numbered SQL files of one dialect that are not yet applied, each in its own
 * transaction. Files are never edited once released; a change is a new number.
 */
export async function migrate(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): Promise<number[]> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`.execute(
    db,
  );
  const folder = `${migrationsRoot}${dialect}/`;
  const files = readdirSync(folder)
    .filter((name) => /^\d{4}-.*\.sql$/.test(name))
    .sort();
  const applied: number[] = [];
  for (const file of files) {
    const version = Number(file.slice(0, 4));
    const text = readFileSync(folder + file, 'utf8');
    const step = async (trx: Kysely<Database>): Promise<boolean> => {
      if (dialect === 'postgres') {
        // Two processes starting together on one database must not both migrate.
        await sql`SELECT pg_advisory_xact_lock(7031963)`.execute(trx);
      }
      const row = await trx
        .selectFrom('schema_migrations')
        .select('version')
        .where('version', '=', version)
        .executeTakeFirst();
      if (row) return false;
      for (const statement of splitStatements(text)) await sql.raw(statement).execute(trx);
      await trx.insertInto('schema_migrations').values({ version, applied_at: Date.now() }).execute();
      return true;
    };
    // SQLite: two processes opening a new store together must not both migrate either.
    const done =
      dialect === 'sqlite' ? await immediateTransaction(db, step) : await db.transaction().execute(step);
    if (done) applied.push(version);
  }
  return applied;
}

// Our migration files hold plain DDL without semicolons inside literals, so splitting on `;` is safe.
function splitStatements(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
