import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { PostroomError } from '../../core/errors.ts';
import { KyselyStore } from '../kysely-store.ts';
import { migrate } from '../migrate.ts';
import type { Database } from '../tables.ts';

// BIGINT (ids, epoch-ms times, counts) arrives as a string by default; ours all fit in a double.
pg.types.setTypeParser(20, (value) => Number(value));

/** Opens (and migrates) the PostgreSQL store for several workers and nodes on one database. */
export async function openPostgresStore(url: string, poolSize = 10): Promise<KyselyStore> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // A client losing its server must not crash the process, idle in the pool ('error' on the pool)
  // or checked out between two statements of a transaction ('error' on the client, which nobody
  // else listens to); the next query reports it, and the pool drops the broken client.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new PostroomError(
      'store_unavailable',
      `Cannot connect to PostgreSQL at ${redact(url)}: ${err instanceof Error ? err.message : String(err)}. ` +
        'Check that the server runs and accepts connections, and that database.url / DATABASE_URL is right.',
      { cause: err },
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrate(db, 'postgres');
  return new KyselyStore(db, 'postgres');
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
