import { configSchema } from '../../src/config/schema.ts';
import type { MailboxRunSettings } from '../../src/runner.ts';

const defaults = configSchema.parse({ mailboxes: [{ address: 'defaults@localhost' }] });

/** A mailbox's run settings with every default, as a config file without those keys would give. */
export function mailboxSettings(address: string, overrides: Partial<MailboxRunSettings> = {}): MailboxRunSettings {
  return { ...defaults.mailboxes[0]!, address, ...overrides };
}

export const defaultPrefixes = defaults.prefixes;

/** A fixed signing key for tests that build a runner context by hand. */
export const testSigning = { secret: 'test-signing-secret-0123456789', domain: 'postroom.test' };
