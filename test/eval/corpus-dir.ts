import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..');

/**
 * Where a corpus lives: `test/corpora/<name>` for the permissive ones copied into the tree,
 * else `../shared/corpora/<name>` beside the project (GPL/AGPL data that must stay outside it).
 * null when neither exists, so the scorer can report the corpus as skipped.
 */
export function corpusDir(name: string): string | null {
  for (const dir of [
    join(repoRoot, 'test', 'corpora', name),
    join(repoRoot, '..', 'shared', 'corpora', name),
  ])
    if (existsSync(dir)) return dir;
  return null;
}
