import { randomBytes } from 'node:crypto';
import { configSchema, type Config } from './config/schema.ts';
import type { DecideRawOptions } from './decide/decide-raw.ts';
import type { MailboxSettings } from './decide/context.ts';
import { openSqliteStore } from './store/sqlite/open-sqlite.ts';

/** An empty in-memory store and the default settings: what `decide` needs when nothing is configured. */
export async function openDecideSandbox(
  config?: Pick<Config, 'limits' | 'recordTypes' | 'prefixes' | 'signing'> & { mailbox?: MailboxSettings },
): Promise<{ options: Omit<DecideRawOptions, 'file'>; close: () => Promise<void> }> {
  const defaults = configSchema.parse({ mailboxes: [{ address: 'postroom@localhost' }] });
  const store = await openSqliteStore(':memory:', { synchronous: 'normal' });
  return {
    options: {
      store,
      directory: store.directory,
      // Without a configured mailbox there is nothing to trust or distrust: no DNS lookups, so the
      // eval and benchmarks measure decide itself and give the same answer on every machine.
      mailbox: config?.mailbox ?? { ...(defaults.mailboxes[0] as MailboxSettings), trust: { ...defaults.mailboxes[0]!.trust, mode: 'off' } },
      recordTypes: config?.recordTypes ?? defaults.recordTypes,
      prefixes: config?.prefixes ?? defaults.prefixes,
      // Without a configured key the real one lives in the real store; a random one verifies nothing.
      signing: {
        secret: config?.signing.secret || randomBytes(32).toString('base64url'),
        domain: config?.signing.domain ?? defaults.signing.domain,
      },
      limits: config?.limits ?? defaults.limits,
    },
    close: () => store.close(),
  };
}
