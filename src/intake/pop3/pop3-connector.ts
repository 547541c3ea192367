import { buffer } from 'node:stream/consumers';
import { credentialsOf } from '../access-token.ts';
import type { Connector, FetchContext, MailboxProbe, PollResult } from '../connector.ts';
import { INLINE_RAW_LIMIT } from '../../store/blobs/tiered-blobs.ts';
import { groupLimits, spoolBuffered, spoolRaw, type BufferedMail, type SpoolTarget } from '../spool-writer.ts';
import { Pop3Client, Pop3Error } from './pop3-client.ts';

/**
 * Seed 000's POP3 driver, done so that nothing is lost or doubled: RETR → commit to the spool
 * → DELE, QUIT at the end of the batch. UIDLs are remembered as dedupe keys, so a session that
 * dies before QUIT (DELEs not committed) fetches nothing twice; with `keep`, seen UIDLs are
 * skipped forever.
 */
export class Pop3Connector implements Connector {
  private readonly ctx: FetchContext;
  private readonly oversized = new Set<string>();

  constructor(ctx: FetchContext) {
    this.ctx = ctx;
  }

  async poll(): Promise<PollResult> {
    const { mailbox, spool, state } = this.ctx;
    const client = await this.open();
    try {
      const list = await client.uidl();
      const sizes = await client.list();
      const known = await state.knownDedupeKeys(
        mailbox.address,
        list.map((e) => keyOf(e.uidl)),
      );
      const remove = mailbox.afterProcessing === 'delete';
      let fetched = 0;
      let left = 0;
      // Whole messages wait here for one commit; DELE follows that commit, and QUIT makes the
      // DELEs count only at the end, so a session cut before QUIT deletes nothing.
      let group: { number: number; mail: BufferedMail }[] = [];
      let groupSize = 0;
      const commitGroup = async (): Promise<void> => {
        if (group.length === 0) return;
        await spoolBuffered(spool, group.map((g) => g.mail));
        if (remove) for (const g of group) await client.delete(g.number);
        group = [];
        groupSize = 0;
      };
      for (const entry of list) {
        if (known.has(keyOf(entry.uidl))) {
          // Stored in an earlier session whose DELE never committed (no QUIT): delete it now.
          if (remove) await client.delete(entry.number);
          continue;
        }
        const size = sizes.get(entry.number) ?? 0;
        if (size > spool.maxMessageSize) {
          // Never fetched, never deleted: it stays for the admin, and the rest of the box flows on.
          this.warnOversized(entry.uidl, size);
          continue;
        }
        if (fetched >= mailbox.batchSize) {
          left += 1;
          continue;
        }
        const target = this.target(entry.uidl);
        fetched += 1;
        if (size > INLINE_RAW_LIMIT) {
          // Streamed into a blob file, never held whole.
          await commitGroup();
          await spoolRaw(spool, await client.retrieve(entry.number), target);
          if (remove) await client.delete(entry.number);
          continue;
        }
        group.push({ number: entry.number, mail: { bytes: await buffer(await client.retrieve(entry.number)), target } });
        groupSize += size;
        if (group.length >= groupLimits.messages || groupSize >= groupLimits.bytes) await commitGroup();
      }
      await commitGroup();
      await client.quit();
      return { fetched, backlog: left };
    } finally {
      client.close();
    }
  }

  async waitForMail(ms: number): Promise<boolean> {
    // POP3 has no push: the poller's schedule is all there is.
    await new Promise((resolve) => setTimeout(resolve, ms));
    return false;
  }

  async probe(): Promise<MailboxProbe> {
    const client = await this.open();
    try {
      const capabilities = await client.capabilities();
      const list = await client.uidl();
      const known = await this.ctx.state.knownDedupeKeys(
        this.ctx.mailbox.address,
        list.map((e) => keyOf(e.uidl)),
      );
      await client.quit();
      return {
        count: list.length,
        newMessages: list.filter((e) => !known.has(keyOf(e.uidl))).length,
        oldest: list[0]?.uidl ?? null,
        newest: list.at(-1)?.uidl ?? null,
        capabilities,
      };
    } finally {
      client.close();
    }
  }

  async close(): Promise<void> {}

  private target(uidl: string): SpoolTarget {
    return { mailboxes: [this.ctx.mailbox.address], source: 'pop3', origin: `pop3:${uidl}`, dedupeKey: keyOf(uidl) };
  }

  private warnOversized(uidl: string, size: number): void {
    if (this.oversized.has(uidl)) return;
    this.oversized.add(uidl);
    this.ctx.log.error(
      { uidl, size, limit: this.ctx.spool.maxMessageSize },
      'message larger than limits.messageSize left on the POP3 server; raise the limit to take it',
    );
  }

  private async open(): Promise<Pop3Client> {
    const server = this.ctx.mailbox.server;
    if (!server) throw new Pop3Error('protocol', `mailbox ${this.ctx.mailbox.address} has no server`);
    const tls = server.tls === true ? 'implicit' : server.tls === 'starttls' ? 'starttls' : 'none';
    const options = {
      host: server.host,
      port: server.port ?? (tls === 'implicit' ? 995 : 110),
      tls,
      rejectUnauthorized: server.rejectUnauthorized,
      timeoutMs: server.timeout * 1000,
    } as const;
    const client = await Pop3Client.connect(options);
    try {
      const creds = credentialsOf(server, this.ctx.env);
      if (creds.token) {
        try {
          await client.loginXoauth2(creds.user, await creds.token.get());
        } catch (err) {
          // The token may have expired: ask its source once more, on a new session (RFC 5034 ends this one).
          client.close();
          const retry = await Pop3Client.connect(options);
          try {
            await retry.loginXoauth2(creds.user, await creds.token.refresh());
          } catch {
            retry.close();
            throw err;
          }
          return retry;
        }
      } else {
        await client.login(creds.user, creds.password ?? '');
      }
      return client;
    } catch (err) {
      client.close();
      throw err;
    }
  }
}

function keyOf(uidl: string): string {
  return `pop3:${uidl}`;
}
