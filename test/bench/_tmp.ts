import SQLite from 'better-sqlite3';
import { generateCorpus } from './corpus.ts';
import { measureRunner } from './throughput.ts';
const stats = new Map<string, { n: number; ms: number }>();
const proto = (SQLite as unknown as { prototype: { prepare: (sql: string) => unknown } }).prototype;
const orig = proto.prepare;
let on = false;
proto.prepare = function (this: unknown, sql: string) {
  const t0 = performance.now();
  const stmt = orig.call(this, sql) as Record<string, (...a: unknown[]) => unknown>;
  const key = sql.replace(/\s+/g, ' ').slice(0, 110);
  const add = (k: string, ms: number) => { if (!on) return; const s = stats.get(k) ?? { n: 0, ms: 0 }; s.n++; s.ms += ms; stats.set(k, s); };
  add('PREPARE (all)', performance.now() - t0);
  for (const m of ['all', 'run', 'get']) {
    const f = stmt[m]!;
    stmt[m] = function (this: unknown, ...a: unknown[]) { const t = performance.now(); try { return f.apply(this, a); } finally { add(`${m} ${key}`, performance.now() - t); } };
  }
  return stmt;
};
const c = generateCorpus({ count: Number(process.env.N ?? 300) });
const origStart = (await import('../../src/runner.ts')).Runner.prototype.start;
(await import('../../src/runner.ts')).Runner.prototype.start = function () { on = true; return origStart.call(this); };
const r = await measureRunner(c, Number(process.env.W ?? 2));
console.log(r.rate, r.seconds);
for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) console.log(s.ms.toFixed(0).padStart(6), 'ms', String(s.n).padStart(6), (s.ms / s.n).toFixed(3), k);
