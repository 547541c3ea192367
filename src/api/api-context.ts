import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { SpoolContext } from '../intake/spool-writer.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { SpoolViewState } from '../store/blobs/spool-view.ts';
import type { Store } from '../store/store.ts';

/** What the HTTP face reads and writes through: the same store, blobs and spool as the CLI and the listener. */
export interface ApiContext {
  config: Readonly<Config>;
  store: Store;
  blobs: BlobStore;
  /** how uploaded mail is spooled: the same as the SMTP listener's, so the workers hear of it */
  spool: SpoolContext;
  spoolView?: SpoolViewState | undefined;
  /** the Message-ID signing key, so decide recognises replies to mail we sent */
  signing: { secret: string; domain: string };
  log: Logger;
  now: () => number;
}
