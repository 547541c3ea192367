import type { ImapFlowOptions } from 'imapflow';
import type { Config } from '../../config/schema.ts';

type Server = NonNullable<Config['mailboxes'][number]['server']>;

/** How to reach a mailbox's IMAP server: the fetcher and the Sent-folder copy connect alike. */
export function imapServerOptions(server: Server, auth: ImapFlowOptions['auth']): ImapFlowOptions {
  return {
    host: server.host,
    port: server.port ?? (server.tls === true ? 993 : 143),
    secure: server.tls === true,
    doSTARTTLS: server.tls === 'starttls' ? true : server.tls === false ? false : undefined,
    tls: { rejectUnauthorized: server.rejectUnauthorized },
    auth,
    connectionTimeout: server.timeout * 1000,
    greetingTimeout: server.timeout * 1000,
  };
}
