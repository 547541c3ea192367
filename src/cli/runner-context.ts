import { newOwnerId } from '../core/owner-id.ts';
import type { RunnerContext } from '../runner.ts';
import type { App } from './app.ts';

/** The runner's view of the app and its configuration. */
export function runnerContext(app: App): RunnerContext {
  const { config } = app;
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
    log: app.log,
    owner: newOwnerId(),
    now: Date.now,
  };
}
