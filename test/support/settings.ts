import { configSchema } from '../../src/config/schema.ts';
import type { MailboxRunSettings } from '../../src/runner.ts';

const defaults = configSchema.parse({ mailboxes: [{ address: 'defaults@localhost' }] });

/** A mailbox's run settings with every default, as a config file without those keys would give. */
export function mailboxSettings(address: string, overrides: Partial<MailboxRunSettings> = {}): MailboxRunSettings {
  return { ...defaults.mailboxes[0]!, address, ...overrides };
}

export const defaultPrefixes = defaults.prefixes;
