import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { ClaimLoop } from '../core/claim-loop.ts';
import { crashPoint } from '../core/crash-point.ts';
import type { OutboxRow } from '../core/outbound.ts';
import type { BlobStore } from '../store/blob-store.ts';
import type { OutboxQueue } from '../store/store.ts';
import { composeOutgoing } from './outgoing-mime.ts';
import { SentCopies } from './sent-copy.ts';
import {
  classifySendError,
  CONNECTIONS_PER_SERVER,
  SmtpTransports,
  type SendFailure,
} from './smtp-transports.ts';

type Mailbox = Config['mailboxes'][number];

export interface OutboxSenderContext {
  outbox: OutboxQueue;
  blobs: Pick<BlobStore, 'open'>;
  config: Pick<Readonly<Config>, 'mailboxes' | 'outbox' | 'runner' | 'dataDir'>;
  /** the lease owner of this process (host/pid/random) */
  owner: string;
  log: Logger;
  now: () => number;
  /** for XOAUTH2 token sources of the IMAP Sent folder */
  env: NodeJS.ProcessEnv;
}

/** Rows sent at once by this process, across mailboxes; each server gets up to 5 connections. */
export const IN_FLIGHT = 4 * CONNECTIONS_PER_SERVER;

/**
 * The Outbound Manager's sender (seed 002): drains the outbox over each mailbox's own SMTP
 * server. A row is claimed (leased), sent, then marked; a crash between send and mark leaves
 * it `sending` until its lease expires, and the next claim sends it again with the same
 * Message-ID and the same bytes. SMTP has no idempotency, so that one copy too many is the
 * price of losing none, and the Message-ID makes it recognisable downstream and to our own
 * loopback check.
 */
export class OutboxSender {
  private readonly ctx: OutboxSenderContext;
  private readonly log: Logger;
  private readonly transports = new SmtpTransports();
  private readonly copies: SentCopies;
  private readonly mailboxes = new Map<string, { mailbox: Mailbox; index: number }>();
  private readonly loop: ClaimLoop<OutboxRow>;

  constructor(ctx: OutboxSenderContext) {
    this.ctx = ctx;
    this.log = ctx.log.child({ component: 'outbox' });
    this.copies = new SentCopies(ctx.config.dataDir, ctx.env, this.log);
    ctx.config.mailboxes.forEach((mailbox, index) =>
      this.mailboxes.set(mailbox.address.toLowerCase(), { mailbox, index }),
    );
    // The lease must outlast a send, or another sender would claim a row still going out and
    // send a second copy. A send may wait in the pool behind a few others, each bounded by the
    // server's timeout (per step), so the lease is several timeouts long.
    const slowest = Math.max(0, ...ctx.config.mailboxes.map((m) => m.outbound?.timeout ?? 0));
    const leaseMs = Math.max(ctx.config.runner.leaseSeconds, 4 * slowest) * 1000;
    this.loop = new ClaimLoop({
      concurrency: IN_FLIGHT,
      pollInterval: ctx.config.runner.pollInterval,
      claim: (free) => ctx.outbox.claim(ctx.owner, free, ctx.now(), leaseMs),
      afterClaim: () => crashPoint('outbox:after-claim'),
      handle: (row) => this.deliver(row),
      idOf: (row) => row.id,
      log: this.log,
      says: { cannotClaim: 'cannot claim outbox rows; retrying', resumed: 'outbox reachable again' },
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Something was queued: look now rather than at the next poll. */
  notify(): void {
    this.loop.notify();
  }

  /** Stops claiming, lets sends in flight finish and mark their rows, and closes connections. */
  async stop(): Promise<void> {
    await this.loop.stop();
    this.transports.close();
    await this.copies.close();
  }

  /** One try of one row; always ends with the row marked sent, queued for a retry, or failed. */
  private async deliver(row: OutboxRow): Promise<void> {
    const log = this.log.child({ outbox: row.id, mailbox: row.mailbox, messageId: row.messageId });
    const limit = this.ctx.config.outbox.attempts;
    try {
      const target = this.mailboxes.get(row.mailbox.toLowerCase());
      if (!target)
        return await this.settle(row, log, {
          permanent: true,
          text: `mailbox ${row.mailbox} is not configured any more (mailboxes[].address); nothing can send its mail`,
        });
      const server = target.mailbox.outbound;
      const key = `mailboxes[${target.index}]`;
      if (!server) {
        return await this.settle(row, log, {
          permanent: true,
          text: `${key}.outbound is not set: mailbox ${target.mailbox.address} has no SMTP server for its answers; set ${key}.outbound: { host, port, tls, auth }`,
        });
      }
      if (row.attempts > limit) {
        // Claims count tries, so a row whose sending kills the process still comes to an end.
        return await this.settle(row, log, {
          permanent: true,
          text: `gave up after ${limit} tries${row.lastError ? `; last: ${row.lastError}` : ''}`,
        });
      }
      let composed;
      try {
        composed = await composeOutgoing(row.mail, (sha) => this.ctx.blobs.open(sha));
      } catch (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        return await this.settle(row, log, {
          permanent: missing,
          text: missing
            ? 'the original mail is no longer in blob storage (deleted processed mail?)'
            : `cannot build the mail: ${(err as Error).message}`,
        });
      }
      let answer: { response: string; rejected: string[] };
      try {
        answer = await this.transports.send(target.mailbox.address, server, composed);
      } catch (err) {
        return await this.settle(row, log, classifySendError(err, key));
      }
      crashPoint('outbox:after-send');
      if (!(await this.ctx.outbox.markSent(row.id, this.ctx.owner, this.ctx.now()))) {
        log.warn(
          'sent, but another sender took the row over meanwhile (lease expired): it may go out twice, with the same Message-ID',
        );
      } else {
        log.info({ response: answer.response, attempts: row.attempts }, 'mail sent');
      }
      // Not retried: the others have it, and a second copy to them would be a double.
      if (answer.rejected.length > 0)
        log.warn({ rejected: answer.rejected }, 'the server refused some recipients of a sent mail');
      await this.copies.keep(target.mailbox, row.id, composed.raw, new Date(row.mail.date));
    } catch (err) {
      // The store refused a mark: the row stays `sending` and is claimed again when its lease ends.
      log.error({ err: (err as Error).message }, 'outbox row not settled; it is tried again after its lease');
    }
  }

  /** Retry with capped exponential backoff, or fail for good with the server's answer. */
  private async settle(row: OutboxRow, log: Logger, failure: SendFailure): Promise<void> {
    const { outbox, owner, now, config } = this.ctx;
    if (failure.permanent || row.attempts >= config.outbox.attempts) {
      const text = failure.permanent ? failure.text : `${failure.text} (gave up after ${row.attempts} tries)`;
      await outbox.fail(row.id, owner, text, now());
      log.error({ attempts: row.attempts, error: text }, 'mail not sent: failed');
      return;
    }
    const delay = Math.min(config.outbox.base * 2 ** (row.attempts - 1), config.outbox.max);
    await outbox.retry(row.id, owner, now() + delay * 1000, failure.text);
    log.warn(
      { attempts: row.attempts, retryInSeconds: delay, error: failure.text },
      'mail not sent yet: will retry',
    );
  }
}
