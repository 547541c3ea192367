import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configTemplate } from '../config/template.ts';

/** `postroom init`: writes the commented example configuration. */
export function initCommand(opts: { file?: string; force?: boolean }): void {
  const file = resolve(opts.file ?? 'postroom.config.yaml');
  if (existsSync(file) && !opts.force) throw new Error(`${file} already exists; use --force to overwrite it`);
  writeFileSync(file, configTemplate, { mode: 0o600 });
  process.stdout.write(`wrote ${file}; edit it, then run: npm start (or postroom start)\n`);
}
