import { newOwnerId } from '../core/owner-id.ts';
import { loadPlugins } from '../plugins/load-plugins.ts';
import type { RunnerContext } from '../runner.ts';
import type { App } from './app.ts';

/** The runner's view of the app and its configuration; loads the plugins rules.plugins names. */
export async function runnerContext(app: App): Promise<RunnerContext> {
  const { config } = app;
  const senders = Object.fromEntries(
    config.mailboxes.map((m) => [
      m.address.toLowerCase(),
      { address: m.outbound?.from ?? m.address, name: m.outbound?.name ?? '' },
    ]),
  );
  const endpoints = Object.fromEntries(Object.entries(config.webhooks.endpoints).map(([name, e]) => [name, e.url]));
  return {
    store: app.store,
    blobs: app.blobs,
    showInSpool: app.showInSpool,
    settings: config.runner,
    mailboxes: config.mailboxes,
    recordTypes: config.recordTypes,
    prefixes: config.prefixes,
    signing: app.signing,
    addressSettings: config.directory,
    projects: config.projects,
    limits: config.limits,
    rules: config.rules,
    plugins: await loadPlugins(config.rules.plugins),
    loopLimits: config.loopLimits,
    routeApply: { signing: app.signing, senders, endpoints, webhookFirstDelayMs: config.webhooks.schedule[0] ?? 0 },
    log: app.log,
    owner: newOwnerId(),
    now: Date.now,
  };
}
