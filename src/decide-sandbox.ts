import { configSchema, type Config } from './config/schema.ts';
import type { DecideRawOptions } from './decide/decide-raw.ts';
import type { MailboxSettings } from './decide/context.ts';
import { openSqliteStore } from './store/sqlite/open-sqlite.ts';

/** An empty in-memory store and the default settings: what `decide` needs when nothing is configured. */
export async function openDecideSandbox(
  config?: Pick<Config, 'limits' | 'recordTypes' | 'prefixes'> & { mailbox?: MailboxSettings },
): Promise<{ options: Omit<DecideRawOptions, 'file'>; close: () => Promise<void> }> {
  const defaults = configSchema.parse({ mailboxes: [{ address: 'postroom@localhost' }] });
  const store = await openSqliteStore(':memory:', { synchronous: 'normal' });
  return {
    options: {
      store,
      mailbox: config?.mailbox ?? (defaults.mailboxes[0] as MailboxSettings),
      recordTypes: config?.recordTypes ?? defaults.recordTypes,
      prefixes: config?.prefixes ?? defaults.prefixes,
      limits: config?.limits ?? defaults.limits,
    },
    close: () => store.close(),
  };
}
