import { join } from 'node:path';
import type { Store } from './store.ts';

/** Chooses the backend from the configured URL: '' → SQLite under dataDir, postgres:// → PostgreSQL. */
export async function openStore(
  url: string,
  dataDir: string,
  options: { role?: 'intake' | 'worker' } = {},
): Promise<Store> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgresStore } = await import('./postgres/open-postgres.ts');
    return openPostgresStore(url);
  }
  const { openSqliteStore } = await import('./sqlite/open-sqlite.ts');
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(dataDir, 'postroom.db');
  return openSqliteStore(file, { synchronous: options.role === 'worker' ? 'normal' : 'full' });
}
