import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { decideRaw } from '../decide/decide-raw.ts';
import { loadPlugins, type LoadedPlugin } from '../plugins/load-plugins.ts';
import type { ApiContext } from './api-context.ts';
import { ApiError } from './api-error.ts';
import { parseInput } from './parse-input.ts';

const decideQuery = z.strictObject({ mailbox: z.string().optional() });

/**
 * POST /api/v1/decide: how the engine would treat this mail now, written nowhere: the answer of
 * `postroom decide --json`, but read against the live store, so a reply finds its record and a
 * known sender their directory entry (the CLI command starts from an empty store).
 */
export function decideRoute(app: FastifyInstance, ctx: ApiContext): void {
  const { config } = ctx;
  // Rule plugins load once, on first use: most installs never ask.
  let plugins: Promise<LoadedPlugin[]> | undefined;
  app.post('/api/v1/decide', async (request) => {
    const { mailbox: wanted } = parseInput(decideQuery, request.query, 'query');
    const mailbox =
      wanted === undefined
        ? config.mailboxes[0]
        : config.mailboxes.find((m) => m.address.toLowerCase() === wanted.toLowerCase());
    if (!mailbox)
      throw new ApiError(
        400,
        'unknown_mailbox',
        `mailbox ${wanted ?? ''} is not configured (configured: ${config.mailboxes.map((m) => m.address).join(', ')})`,
      );
    const body = request.body;
    if (!Buffer.isBuffer(body))
      throw new ApiError(
        415,
        'unsupported_media_type',
        'send the raw message as the body, with Content-Type: message/rfc822',
      );
    plugins ??= loadPlugins(config.rules.plugins).catch((err: unknown) => {
      plugins = undefined; // a plugin fixed on disk is tried again on the next request
      throw err;
    });
    return decideRaw(body, {
      file: '',
      store: ctx.store,
      directory: ctx.store.directory,
      addressSettings: config.directory,
      projects: config.projects,
      mailbox,
      recordTypes: config.recordTypes,
      prefixes: config.prefixes,
      signing: ctx.signing,
      limits: config.limits,
      now: ctx.now,
      rules: config.rules,
      plugins: await plugins,
      mailboxes: config.mailboxes,
      loopLimits: config.loopLimits,
    });
  });
}
