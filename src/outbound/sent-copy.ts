import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
// The one place that knows how a server entry's credentials (password or XOAUTH2 token source)
// are read; the Sent folder is on the same server the mailbox is fetched from.
import { credentialsOf } from '../intake/access-token.ts';
import { imapServerOptions } from '../intake/imap/imap-options.ts';

type Mailbox = Config['mailboxes'][number];

/**
 * Keeps a copy of each mail sent: IMAP APPEND to the mailbox's Sent folder when it is an IMAP
 * mailbox, else `spool/sent/<outbox id>.eml` in the data folder. Best effort, after the row is
 * marked sent: the mail went out either way, so a failed copy is logged and not retried.
 */
export class SentCopies {
  private readonly spoolDir: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: Logger;
  /** one connection per IMAP mailbox, opened on first use; imapflow queues the APPENDs on it */
  private readonly clients = new Map<string, Promise<ImapFlow>>();

  constructor(dataDir: string, env: NodeJS.ProcessEnv, log: Logger) {
    this.spoolDir = join(dataDir, 'spool', 'sent');
    this.env = env;
    this.log = log;
  }

  async keep(mailbox: Mailbox, outboxId: number, raw: Buffer, date: Date): Promise<void> {
    try {
      if (mailbox.connector === 'imap' && mailbox.server && mailbox.sentFolder !== '') {
        await this.append(mailbox, raw, date);
      } else {
        await this.writeSpool(outboxId, raw);
      }
    } catch (err) {
      this.log.warn(
        { outbox: outboxId, mailbox: mailbox.address, err: (err as Error).message },
        'sent mail not copied to the Sent folder',
      );
    }
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      clients.map(async (pending) => {
        const client = await pending.catch(() => null);
        await client?.logout().catch(() => client.close());
      }),
    );
  }

  private async writeSpool(outboxId: number, raw: Buffer): Promise<void> {
    await mkdir(this.spoolDir, { recursive: true });
    // Written aside and renamed, so a reader never sees half a mail under the final name.
    const file = join(this.spoolDir, `${outboxId}.eml`);
    await writeFile(`${file}.tmp`, raw);
    await rename(`${file}.tmp`, file);
  }

  private async append(mailbox: Mailbox, raw: Buffer, date: Date): Promise<void> {
    const client = await this.connection(mailbox);
    try {
      await client.append(mailbox.sentFolder, raw, ['\\Seen'], date);
    } catch (err) {
      // RFC 3501 §6.3.11: [TRYCREATE] means the folder does not exist yet; create it once.
      if ((err as { serverResponseCode?: string }).serverResponseCode !== 'TRYCREATE') throw err;
      await client.mailboxCreate(mailbox.sentFolder);
      await client.append(mailbox.sentFolder, raw, ['\\Seen'], date);
    }
  }

  private async connection(mailbox: Mailbox): Promise<ImapFlow> {
    const open = this.clients.get(mailbox.address);
    const current = open ? await open.catch(() => null) : null;
    if (current?.usable) return current;
    const pending = this.connect(mailbox);
    this.clients.set(mailbox.address, pending);
    pending.catch(() => this.clients.delete(mailbox.address));
    return pending;
  }

  private async connect(mailbox: Mailbox): Promise<ImapFlow> {
    const server = mailbox.server;
    if (!server) throw new Error(`mailbox ${mailbox.address} has no server`);
    const creds = credentialsOf(server, this.env);
    const auth = creds.token
      ? { user: creds.user, accessToken: await creds.token.get() }
      : { user: creds.user, pass: creds.password ?? '' };
    const client = new ImapFlow({ ...imapServerOptions(server, auth), logger: false, disableAutoIdle: true });
    client.on('error', (err: Error) =>
      this.log.debug({ mailbox: mailbox.address, err: err.message }, 'Sent folder connection error'),
    );
    await client.connect();
    return client;
  }
}
