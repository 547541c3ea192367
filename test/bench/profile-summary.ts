// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package/file,
// and total (inclusive) time of the busiest functions.
//   node test/bench/profile-summary.ts FILE.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

// `| head` closes the pipe early; that is not an error.
process.stdout.on('error', () => process.exit(0));

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node test/bench/profile-summary.ts FILE.cpuprofile [top]\n');
  process.exit(64);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
let totalUs = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  totalUs += dt;
});

function where(n: ProfileNode): string {
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (nm) return `${nm[1]}/${nm[2]}`;
  if (url.includes('/src/')) return `src/${url.split('/src/').pop()}`;
  if (url.includes('/test/')) return `test/${url.split('/test/').pop()}`;
  return url || '(native)';
}
const fnKey = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'}  ${where(n)}:${n.callFrame.lineNumber + 1}`;
const groupKey = (n: ProfileNode): string => {
  const w = where(n);
  if (w.startsWith('src/') || w.startsWith('test/')) return w;
  if (w === '(native)') return n.callFrame.functionName || '(native)';
  if (w.startsWith('node:')) return w.split('/').slice(0, 2).join('/');
  return w.split('/')[0] ?? w;
};

const bySelf = new Map<string, number>();
const byGroup = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  if (!n) continue;
  bySelf.set(fnKey(n), (bySelf.get(fnKey(n)) ?? 0) + us);
  byGroup.set(groupKey(n), (byGroup.get(groupKey(n)) ?? 0) + us);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const node = byId.get(cur);
    if (!node) break;
    const k = fnKey(node);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}

const print = (title: string, map: Map<string, number>): void => {
  process.stdout.write(`\n${title} (of ${(totalUs / 1e6).toFixed(2)} s sampled)\n`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * us) / totalUs).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
  }
};
print('Self time by package / file', byGroup);
print('Self time by function', bySelf);
print('Total (inclusive) time by function', inclusive);
