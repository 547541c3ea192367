import type { Kysely } from 'kysely';
import type { KyselyStore } from './kysely-store.ts';
import type { Database } from './tables.ts';

/**
 * The Kysely instance behind a KyselyStore, for tests and benchmarks that count or bulk-fill
 * tables directly. TypeScript allows this element access to a private field on purpose: the
 * engine itself never needs it.
 */
export function kyselyOf(store: KyselyStore): Kysely<Database> {
  return store['kysely'];
}
