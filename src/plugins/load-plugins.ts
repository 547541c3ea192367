import { pathToFileURL } from 'node:url';
import { PostroomError } from '../core/errors.ts';
import type { PluginRef } from '../core/rules.ts';
import type { Plugin } from './plugin-api.ts';

export interface LoadedPlugin {
  name: string;
  run: Plugin;
  options: Record<string, unknown>;
}

/** Imports each plugin module once, at start: a missing or malformed one stops the start with its name. */
export async function loadPlugins(refs: readonly PluginRef[]): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const ref of refs) {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(ref.module).href)) as { default?: unknown };
    } catch (err) {
      throw new PostroomError(
        'config_invalid',
        `plugin ${ref.name}: cannot load ${ref.module}: ${(err as Error).message} (rules.plugins)`,
      );
    }
    if (typeof mod.default !== 'function')
      throw new PostroomError(
        'config_invalid',
        `plugin ${ref.name}: ${ref.module} must export a function as default: (message, context) => verdict (rules.plugins)`,
      );
    loaded.push({ name: ref.name, run: mod.default as Plugin, options: ref.options });
  }
  return loaded;
}
