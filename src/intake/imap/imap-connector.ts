import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { Transform, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import { credentialsOf, type AccessToken } from '../access-token.ts';
import type { Connector, FetchContext, MailboxProbe, PollResult } from '../connector.ts';
import { groupLimits, spoolBuffered, spoolRaw, type BufferedMail, type SpoolTarget } from '../spool-writer.ts';
import { INLINE_RAW_LIMIT } from '../../store/blobs/tiered-blobs.ts';
import { imapServerOptions } from './imap-options.ts';

/** imapflow logs through a pino-like object; ours stays quiet below warn and never sees credentials. */
function quietLogger(log: Logger): ImapFlowOptions['logger'] {
  const drop = (): void => undefined;
  return {
    debug: drop,
    info: drop,
    warn: (o: object) => log.debug(o, 'imap warning'),
    // imapflow logs every refused command (a failed login at each retry) as an error: the poller
    // reports the failure once, with the server's words (see explained()).
    error: (o: object) => log.debug(o, 'imap error'),
  };
}

/**
 * IMAP by UID: a checkpoint (UIDVALIDITY + highest UID taken) per mailbox and folder, each
 * message committed to the spool before its after-action (move, delete, flag) and before the
 * checkpoint moves on. A crash in between re-fetches that UID; content dedupe makes it a
 * duplicate, not a second message. A UIDVALIDITY change re-scans the folder the same way.
 */
export class ImapConnector implements Connector {
  private readonly ctx: FetchContext;
  private client: ImapFlow | null = null;
  private wake: (() => void) | null = null;
  private token: AccessToken | undefined;
  /**
   * The server announced new mail (EXISTS) since the current or last poll began. Set by a
   * listener that lives as long as the connection: an EXISTS that arrives in the answer to one
   * of the poll's own commands, after its UID FETCH, would otherwise be seen by nobody, and
   * the message would wait for the next mail or the polling interval.
   */
  private announced = false;

  constructor(ctx: FetchContext) {
    this.ctx = ctx;
  }

  async poll(): Promise<PollResult> {
    try {
      return await this.pollOnce();
    } catch (err) {
      throw explained(err);
    }
  }

  private async pollOnce(): Promise<PollResult> {
    const { mailbox, spool, state } = this.ctx;
    const client = await this.connection();
    const lock = await client.getMailboxLock(mailbox.folder);
    try {
      this.announced = false;
      // On a connection kept open (without IDLE) the server tells about new mail only in answer
      // to a command: NOOP brings EXISTS up to date (RFC 3501 §6.1.2).
      await client.noop();
      const box = client.mailbox;
      if (!box) throw new Error(`folder ${mailbox.folder} could not be selected`);
      const uidValidity = Number(box.uidValidity);
      const saved = await state.getCheckpoint(mailbox.address, mailbox.folder);
      const lastUid = saved && saved.uidValidity === uidValidity ? saved.lastUid : 0;
      if (saved && saved.uidValidity !== uidValidity) {
        this.ctx.log.warn(
          { was: saved.uidValidity, now: uidValidity },
          'UIDVALIDITY changed: re-scanning the folder (content dedupe prevents doubles)',
        );
      }
      const { uids, sizes } = box.exists > 0 ? await newMail(client, lastUid, Math.min(INLINE_RAW_LIMIT, spool.maxMessageSize)) : { uids: [], sizes: new Map<number, number>() };
      const batch = uids.slice(0, mailbox.batchSize);
      let checkpoint = lastUid;
      let fetched = 0;
      const advance = async (uid: number): Promise<void> => {
        checkpoint = uid;
        await state.setCheckpoint(mailbox.address, mailbox.folder, { uidValidity, lastUid: checkpoint });
      };
      for (const group of fetchGroups(batch, sizes, INLINE_RAW_LIMIT, spool.maxMessageSize)) {
        if (group.kind === 'oversized') {
          // Left on the server unread and passed over, so one oversized mail cannot stall the folder.
          this.ctx.log.error(
            { uid: group.uid, size: sizes.get(group.uid), limit: spool.maxMessageSize },
            'message larger than limits.messageSize left in the folder; raise the limit and reset the checkpoint to take it',
          );
          await advance(group.uid);
        } else if (group.kind === 'large') {
          // Streamed into a blob file, never held whole.
          const download = await client.download(String(group.uid), undefined, { uid: true });
          if (download.content) {
            await spoolRaw(spool, whole(download.content, sizes.get(group.uid), group.uid), this.target(uidValidity, group.uid));
            await this.acknowledge(client, [group.uid]);
            fetched += 1;
          } // else expunged meanwhile by another client
          await advance(group.uid);
        } else {
          // One FETCH for up to uidsPerFetch mails, committed in groups as they arrive: while a
          // group commits, the FETCH waits (imapflow reads no further response until the loop
          // asks for one) and the server prepares the next mail meanwhile. Sizes of small mail
          // are not asked for, so memory is bounded here, by groupLimits. The after-action and
          // the checkpoint follow the FETCH: imapflow runs no other command on the connection
          // until the FETCH is read to its end.
          let mails: BufferedMail[] = [];
          let bytes = 0;
          const taken: number[] = [];
          for await (const m of client.fetch(group.uids, { uid: true, source: true }, { uid: true })) {
            if (!m.source || m.uid <= lastUid) continue; // expunged meanwhile: no source
            mails.push({ bytes: m.source, target: this.target(uidValidity, m.uid) });
            taken.push(m.uid);
            bytes += m.source.length;
            if (bytes >= groupLimits.bytes || mails.length >= groupLimits.messages) {
              await spoolBuffered(spool, mails);
              mails = [];
              bytes = 0;
            }
          }
          await spoolBuffered(spool, mails);
          if (taken.length > 0) await this.acknowledge(client, taken);
          fetched += taken.length;
          const last = group.uids.at(-1);
          if (last !== undefined) await advance(last);
        }
      }
      if (batch.length === 0 && (!saved || saved.uidValidity !== uidValidity)) {
        await state.setCheckpoint(mailbox.address, mailbox.folder, { uidValidity, lastUid: checkpoint });
      }
      await this.makeMoves(client, uidValidity);
      return { fetched, backlog: uids.length - batch.length };
    } finally {
      lock.release();
    }
  }

  /** Waits in IDLE (imapflow idles whenever the connection is quiet) until EXISTS or timeout. */
  async waitForMail(ms: number): Promise<boolean> {
    const client = this.ctx.mailbox.idle && this.client?.usable ? this.client : null;
    if (client && this.announced) return true;
    // Enter IDLE now: imapflow's auto-IDLE starts only after 15 s without a command, and until
    // then the server tells about new mail to nobody. idle() resolves when the next command
    // (the next poll's NOOP) ends it; whenFree waits for a poll still holding the connection.
    if (client) void client.idle({ whenFree: true }).catch(() => undefined);
    const arrived = await new Promise<boolean>((resolve) => {
      const finish = (value: boolean): void => {
        clearTimeout(timer);
        client?.off('exists', onExists);
        resolve(value);
      };
      const onExists = (): void => finish(true);
      const timer = setTimeout(() => finish(false), ms);
      this.wake = () => finish(false);
      client?.on('exists', onExists);
    });
    this.wake = null;
    return arrived;
  }

  async probe(): Promise<MailboxProbe> {
    const client = await this.connection();
    try {
      const status = await client.status(this.ctx.mailbox.folder, {
        messages: true,
        uidValidity: true,
        uidNext: true,
      });
      if (status === false) throw new Error(`folder ${this.ctx.mailbox.folder} does not exist`);
      const saved = await this.ctx.state.getCheckpoint(this.ctx.mailbox.address, this.ctx.mailbox.folder);
      const fresh =
        saved && saved.uidValidity === Number(status.uidValidity)
          ? Math.max(0, (status.uidNext ?? 1) - 1 - saved.lastUid)
          : (status.messages ?? 0);
      return {
        count: status.messages ?? 0,
        newMessages: Math.min(fresh, status.messages ?? 0),
        oldest: null,
        newest: null,
        capabilities: [...client.capabilities.keys()],
      };
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.wake?.();
    const client = this.client;
    this.client = null;
    if (client) await client.logout().catch(() => client.close());
  }

  /**
   * Rules' "move to a folder" for mail of this folder (queued by apply): one UID MOVE per target
   * folder, created when missing. A message is moved only under the UIDVALIDITY it was fetched
   * under; after a change its UID means nothing and the move fails with that reason.
   */
  private async makeMoves(client: ImapFlow, uidValidity: number): Promise<void> {
    const { mailbox, state, spool } = this.ctx;
    const moves = await state.pendingMoves(mailbox.address, 500);
    const byTarget = new Map<string, { refs: number[]; uids: number[] }>();
    for (const move of moves) {
      const at = /^imap:(.*):(\d+):(\d+)$/.exec(move.origin);
      if (!at || at[1] !== mailbox.folder || Number(at[2]) !== uidValidity) {
        const error = `fetched as ${move.origin}, but ${mailbox.folder} now has UIDVALIDITY ${uidValidity}: the UID no longer names the mail`;
        await state.finishMove(move.messageRef, { state: 'failed', error }, spool.now());
        continue;
      }
      const group = byTarget.get(move.target) ?? { refs: [], uids: [] };
      group.refs.push(move.messageRef);
      group.uids.push(Number(at[3]));
      byTarget.set(move.target, group);
    }
    for (const [target, group] of byTarget) {
      // imapflow answers a refused MOVE with false; a missing folder is the usual reason.
      let moved = await client.messageMove(group.uids, target, { uid: true });
      if (moved === false) {
        await client.mailboxCreate(target).catch(() => undefined);
        moved = await client.messageMove(group.uids, target, { uid: true });
      }
      const error = moved === false ? `the server refused to move the mail to ${target}` : null;
      if (error) this.ctx.log.warn({ folder: target, messages: group.refs }, error);
      for (const ref of group.refs) await state.finishMove(ref, { state: error ? 'failed' : 'done', error }, spool.now());
    }
  }

  private target(uidValidity: number, uid: number): SpoolTarget {
    const { mailbox } = this.ctx;
    return { mailboxes: [mailbox.address], source: 'imap', origin: `imap:${mailbox.folder}:${uidValidity}:${uid}` };
  }

  /** The after-action for messages the spool has committed, in one command (a UID set). */
  private async acknowledge(client: ImapFlow, uids: number[]): Promise<void> {
    const after = this.ctx.mailbox.afterProcessing;
    const range = uids;
    if (after === 'keep') return;
    if (after === 'flag-seen') await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
    else if (after === 'delete') await client.messageDelete(range, { uid: true });
    // imapflow uses MOVE where offered, else COPY + STORE \Deleted + UID EXPUNGE.
    else await client.messageMove(range, after.move, { uid: true });
  }

  /** The open connection, or a new one; a dropped connection is replaced at the next poll. */
  private async connection(): Promise<ImapFlow> {
    if (this.client?.usable) return this.client;
    await this.close();
    const server = this.ctx.mailbox.server;
    if (!server) throw new Error(`mailbox ${this.ctx.mailbox.address} has no server`);
    const creds = credentialsOf(server, this.ctx.env);
    this.token = creds.token;
    const make = async (fresh: boolean): Promise<ImapFlow> => {
      const auth = creds.token
        ? { user: creds.user, accessToken: fresh ? await creds.token.refresh() : await creds.token.get() }
        : { user: creds.user, pass: creds.password ?? '' };
      const client = new ImapFlow({
        ...imapServerOptions(server, auth),
        logger: quietLogger(this.ctx.log),
        socketTimeout: Math.max(server.timeout * 1000, 5 * 60_000),
        // Re-issue IDLE well before servers drop it at 29 minutes (RFC 2177).
        maxIdleTime: 20 * 60_000,
        disableAutoIdle: !this.ctx.mailbox.idle,
      });
      client.on('error', (err: Error) => this.ctx.log.warn({ err: err.message }, 'IMAP connection error'));
      client.on('exists', () => (this.announced = true));
      await client.connect();
      return client;
    };
    try {
      this.client = await make(false);
    } catch (err) {
      if (!this.token || !isAuthFailure(err)) throw explained(err);
      // An expired token: ask its source for a new one, once.
      try {
        this.client = await make(true);
      } catch (again) {
        throw explained(again);
      }
    }
    return this.client;
  }
}

function isAuthFailure(err: unknown): boolean {
  const e = err as { authenticationFailed?: boolean; serverResponseCode?: string };
  return e.authenticationFailed === true || e.serverResponseCode === 'AUTHENTICATIONFAILED';
}

/**
 * imapflow's "Command failed" with what the server said, so the poller's log line and
 * `postroom status` show what to fix. The error keeps its fields (authenticationFailed,
 * responseText, ...) for `postroom mailbox test`.
 */
function explained(err: unknown): unknown {
  const e = err as Error & { responseText?: string };
  if (!(err instanceof Error) || !e.responseText || e.message.includes(e.responseText)) return err;
  e.message = isAuthFailure(err) ? `authentication failed: ${e.responseText}` : `${e.message}: ${e.responseText}`;
  return err;
}

/**
 * The downloaded message, failing at its end when it came out shorter than the server's
 * RFC822.SIZE: imapflow downloads in 64 KB chunks and ends the stream quietly when the message
 * disappears between two of them (expunged by another client), which must not be spooled as mail.
 */
function whole(content: Readable, size: number | undefined, uid: number): Readable {
  if (!size) return content;
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(seen < size ? new Error(`message UID ${uid} ended after ${seen} of ${size} bytes: expunged while downloading?`) : null);
    },
  });
  content.on('error', (err) => counted.destroy(err));
  return content.pipe(counted);
}

type FetchGroup = { kind: 'small'; uids: number[] } | { kind: 'large'; uid: number } | { kind: 'oversized'; uid: number };


/**
 * The UIDs above `lastUid`, in order, and the sizes of those larger than `sizedAbove` (mail to
 * stream, or over limits.messageSize and left). Two SEARCHes instead of a FETCH of every size:
 * the server answers each with one line, where 1,000 FETCH responses took as long to read as a
 * fifth of the mail itself.
 */
async function newMail(client: ImapFlow, lastUid: number, sizedAbove: number): Promise<{ uids: number[]; sizes: Map<number, number> }> {
  const range = `${lastUid + 1}:*`;
  // `N:*` always matches the last message, even below N (RFC 3501 §6.4.8): filter.
  const above = (found: number[] | false | undefined): number[] => (found || []).filter((uid) => uid > lastUid).sort((a, b) => a - b);
  const uids = above(await client.search({ uid: range }, { uid: true }));
  const sizes = new Map<number, number>();
  const large = uids.length > 0 ? above(await client.search({ uid: range, larger: sizedAbove }, { uid: true })) : [];
  if (large.length > 0) {
    for await (const m of client.fetch(large, { uid: true, size: true }, { uid: true })) sizes.set(m.uid, m.size ?? 0);
  }
  return { uids, sizes };
}

/**
 * Small mail per UID FETCH. Each FETCH is followed by its after-action and checkpoint, so a crash
 * re-fetches at most this many (content dedupe makes them duplicates, not doubles).
 */
export const uidsPerFetch = 4 * groupLimits.messages;

/**
 * Splits a batch, in UID order, into runs of small mail fetched together and single large
 * (streamed) or oversized (left) messages, so the checkpoint still moves in UID order. `sizes`
 * needs only the mail above `streamAbove`: the rest counts as small.
 */
export function fetchGroups(uids: readonly number[], sizes: ReadonlyMap<number, number>, streamAbove: number, maxSize: number): FetchGroup[] {
  const groups: FetchGroup[] = [];
  let current: number[] = [];
  const close = (): void => {
    if (current.length > 0) groups.push({ kind: 'small', uids: current });
    current = [];
  };
  for (const uid of uids) {
    const size = sizes.get(uid) ?? 0;
    if (size > maxSize || size > streamAbove) {
      close();
      groups.push(size > maxSize ? { kind: 'oversized', uid } : { kind: 'large', uid });
      continue;
    }
    if (current.length >= uidsPerFetch) close();
    current.push(uid);
  }
  close();
  return groups;
}
