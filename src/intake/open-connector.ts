import type { Connector, FetchContext } from './connector.ts';
import { ImapConnector } from './imap/imap-connector.ts';
import { Pop3Connector } from './pop3/pop3-connector.ts';

/** The connector for a fetching mailbox (pop3/imap); undefined for mail that arrives by SMTP or files. */
export function openConnector(ctx: FetchContext): Connector | undefined {
  if (ctx.mailbox.connector === 'pop3') return new Pop3Connector(ctx);
  if (ctx.mailbox.connector === 'imap') return new ImapConnector(ctx);
  return undefined;
}
