import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { createDatabase, postgresUrlFromEnv } from '../support/postgres.ts';

test('createDatabase makes a usable database on the test cluster', async (t) => {
  const adminUrl = postgresUrlFromEnv();
  if (adminUrl === undefined) {
    t.skip('POSTROOM_TEST_PG_URL not set');
    return;
  }
  const name = `support_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(adminUrl, name);
  assert.equal(new URL(url).pathname, `/${name}`);

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query<{ one: number; db: string }>('select 1 as one, current_database() as db');
    assert.deepEqual(res.rows, [{ one: 1, db: name }]);
    await client.query('create table marker (id int)');
  } finally {
    await client.end();
  }

  // A copy made from it as a template carries its schema.
  const copyUrl = await createDatabase(adminUrl, `${name}_copy`, name);
  const copy = new pg.Client({ connectionString: copyUrl });
  await copy.connect();
  try {
    const res = await copy.query<{ n: string }>('select count(*) as n from marker');
    assert.equal(res.rows[0]?.n, '0');
  } finally {
    await copy.end();
  }
});
