import { tempDir } from '../support/engine.ts';
import { openStore } from '../../src/store/open-store.ts';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
const dir = tempDir('pq-');
const store = await openStore('', dir);
const now = Date.now();
for (let i = 0; i < 4000; i++) await store.spool({ mailbox: 'support@localhost', source: 'file', origin: null, dedupeKey: `k${i}`, rawSha256: 'a'.repeat(64), rawSize: 1, messageId: `m${i}@x`, subject: 's', from: 'f', receivedAt: now });
await store.close();
const db = new SQLite(join(dir, 'postroom.db'));
db.pragma('synchronous = OFF');
const sql = `update "messages" set "state" = 'processing', "lease_owner" = 'o', "lease_expires_at" = ?, "attempts" = "attempts" + 1 where "id" in (select "id" from "messages" where (("state" in ('queued', 'deferred') and "next_attempt_at" <= ?) or ("state" = 'processing' and "lease_expires_at" < ?)) order by "id" limit ?) returning *`;
console.log(db.prepare('explain query plan ' + sql).all(now + 60000, now, now, 1));
const st = db.prepare(sql);
for (const done of [0, 1000, 2000, 3000, 3990]) {
  db.prepare(`update messages set state='processed', lease_owner=null where id <= ?`).run(done);
  const t = performance.now();
  for (let i = 0; i < 5; i++) st.all(now + 60000, now + 100000, now, 1);
  console.log('processed', done, 'claim ms', ((performance.now() - t) / 5).toFixed(3));
}
db.close();
