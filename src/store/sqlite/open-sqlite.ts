import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { PostroomError } from '../../core/errors.ts';
import { KyselyStore } from '../kysely-store.ts';
import { SqliteRawFile } from './raw-file.ts';
import { migrate } from '../migrate.ts';
import type { Database } from '../tables.ts';

export interface SqliteOptions {
  /**
   * full: every commit is on disk before it returns — what intake needs before it answers 250 /
   * exits 0. normal: a power cut may roll back the last commits (never corrupt), which workers can
   * afford: their commits are replayable, the message is simply processed again.
   */
  synchronous?: 'full' | 'normal';
}

/** Kysely prepares every statement anew; reusing them saves a sizeable share of each commit. */
function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        if (cache.size >= 256) cache.delete(cache.keys().next().value ?? '');
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

/** Opens (and migrates) the embedded store: a SQLite file in WAL mode, and its raw mail file beside it. */
export async function openSqliteStore(file: string, options: SqliteOptions = {}): Promise<KyselyStore> {
  let database: SQLite.Database;
  try {
    mkdirSync(dirname(file), { recursive: true });
    database = new SQLite(file);
    database.pragma('journal_mode = WAL');
    database.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  await migrate(db, 'sqlite');
  // An in-memory store (`postroom decide`) keeps its raw mail in the main database.
  if (file === ':memory:') return new KyselyStore(db, 'sqlite');
  const raw = rawFileOf(file);
  try {
    return new KyselyStore(db, 'sqlite', { rawFile: new SqliteRawFile(raw, options.synchronous ?? 'full') });
  } catch (err) {
    await db.destroy();
    throw new PostroomError(
      'store_unavailable',
      `Cannot open the raw mail file ${raw}: ${err instanceof Error ? err.message : String(err)}. ` +
        'It lives beside the SQLite database; check that its folder is writable by this user.',
      { cause: err },
    );
  }
}

/** postroom.db → postroom.raw.db, beside it: backups and moves take both files. */
export function rawFileOf(file: string): string {
  return file.replace(/(\.db)?$/, '.raw.db');
}
