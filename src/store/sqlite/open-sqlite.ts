import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { PostroomError } from '../../core/errors.ts';
import { KyselyStore } from '../kysely-store.ts';
import { migrate } from '../migrate.ts';
import type { Database } from '../tables.ts';

/** Opens (and migrates) the embedded store: one SQLite file in WAL mode. */
export async function openSqliteStore(file: string): Promise<KyselyStore> {
  let database: SQLite.Database;
  try {
    mkdirSync(dirname(file), { recursive: true });
    database = new SQLite(file);
    database.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before we answer 250 / exit 0, even across a power cut.
    database.pragma('synchronous = FULL');
    // Several processes (postroom start + postroom ingest) share the file; wait for the writer.
    database.pragma('busy_timeout = 10000');
    database.pragma('foreign_keys = ON');
  } catch (err) {
    throw new PostroomError(
      'store_unavailable',
      `Cannot open the SQLite database ${file}: ${err instanceof Error ? err.message : String(err)}. ` +
        'Check that dataDir exists and is writable by this user, or point database.url at PostgreSQL.',
      { cause: err },
    );
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  await migrate(db, 'sqlite');
  return new KyselyStore(db, 'sqlite');
}
