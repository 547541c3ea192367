import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { MailboxState } from '../store/store.ts';
import type { SpoolContext } from './spool-writer.ts';

export type FetchMailbox = Config['mailboxes'][number];

export interface FetchContext {
  mailbox: FetchMailbox;
  spool: SpoolContext;
  state: MailboxState;
  log: Logger;
  env: NodeJS.ProcessEnv;
}

export interface PollResult {
  /** messages newly committed to the spool in this poll */
  fetched: number;
  /** messages still on the server that we have not taken yet */
  backlog: number;
}

/** What `postroom mailbox test` reports: reachable, logged in, what would be fetched. */
export interface MailboxProbe {
  count: number;
  newMessages: number;
  oldest: string | null;
  newest: string | null;
  capabilities: string[];
}

/** A server mailbox Postroom fetches from. Each poll acknowledges only what the spool committed. */
export interface Connector {
  poll(): Promise<PollResult>;
  /** Waits until the server says new mail arrived (IMAP IDLE: true) or `ms` pass (false). */
  waitForMail(ms: number): Promise<boolean>;
  probe(): Promise<MailboxProbe>;
  close(): Promise<void>;
}
