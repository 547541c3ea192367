import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { MessageState } from '../core/message.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { ShowOptions, SpoolViewState } from '../store/blobs/spool-view.ts';
import type { Store } from '../store/store.ts';

/** Everything a command needs, built once by the composition root (main.ts). */
export interface App {
  config: Readonly<Config>;
  configFile: string | undefined;
  store: Store;
  blobs: BlobStore;
  showInSpool: (id: number, sha256: string, state: MessageState | null, options?: ShowOptions) => Promise<void>;
  /** The spool folder view's state, for its repair after an unclean stop. */
  spoolView?: SpoolViewState;
  log: Logger;
  /** the Message-ID signing key and domain: from the config, or generated once and kept in the store */
  signing: { secret: string; domain: string };
  close(): Promise<void>;
}

/** Opens the app for a command; `quiet` keeps logs off stdout for scriptable output. */
export type OpenApp = (options: { configFile?: string; quiet?: boolean }) => Promise<App>;
