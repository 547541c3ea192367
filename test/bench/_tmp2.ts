import SQLite from 'better-sqlite3';
import { mkdtempSync, rmSync, openSync, writeSync, fsyncSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'sq-'));
for (const sync of ['FULL', 'NORMAL']) {
  const db = new SQLite(join(dir, `t-${sync}.db`));
  db.pragma('journal_mode = WAL'); db.pragma(`synchronous = ${sync}`);
  db.exec('create table t (id integer primary key, v text)');
  const ins = db.prepare('insert into t (v) values (?)');
  const times: number[] = [];
  for (let i = 0; i < 300; i++) { const t = performance.now(); db.transaction(() => ins.run('x'.repeat(500)))(); times.push(performance.now() - t); }
  times.sort((a, b) => a - b);
  console.log(sync, 'median ms', times[150]!.toFixed(2), 'p90', times[270]!.toFixed(2), 'max', times[299]!.toFixed(2), 'mean', (times.reduce((a, b) => a + b) / 300).toFixed(2));
  db.close();
}
const fd = openSync(join(dir, 'f'), 'w'); const ts: number[] = [];
for (let i = 0; i < 300; i++) { const t = performance.now(); writeSync(fd, 'x'.repeat(4096)); fsyncSync(fd); ts.push(performance.now() - t); }
closeSync(fd); ts.sort((a, b) => a - b);
console.log('raw fsync median', ts[150]!.toFixed(2), 'p90', ts[270]!.toFixed(2), 'mean', (ts.reduce((a, b) => a + b) / 300).toFixed(2));
rmSync(dir, { recursive: true });
