import { z } from 'zod';
import { defaultAddressSettings, type AddressSettings } from './types.ts';

/**
 * The `directory` config key. src/config/schema.ts holds the real one (config may import only
 * core); this mirror reads it from a loaded config that may predate the key.
 */
const directorySettingsSchema = z
  .object({
    localPartCase: z.enum(['insensitive', 'sensitive']).default(defaultAddressSettings.localPartCase),
    subaddressSeparator: z.string().max(1).default(defaultAddressSettings.subaddressSeparator),
  })
  .prefault({});

/** The address-matching settings from a loaded config (`config.directory`), defaults filled in. */
export function addressSettingsFrom(config: unknown): AddressSettings {
  const section =
    typeof config === 'object' && config !== null
      ? (config as Record<string, unknown>)['directory']
      : undefined;
  const parsed = directorySettingsSchema.safeParse(section);
  return parsed.success ? parsed.data : defaultAddressSettings;
}
