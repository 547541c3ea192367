import type { Logger } from 'pino';
import { applyPlan, type ApplyResult, type ApplySettings } from './apply/apply-plan.ts';
import type { RouteApplySettings } from './apply/apply-route.ts';
import type { RuleSet } from './core/rules.ts';
import type { LoadedPlugin } from './plugins/load-plugins.ts';
import { writeCatalogFiles } from './apply/catalog-files.ts';
import { dropRaw } from './apply/purge-raw.ts';
import { ClaimLoop } from './core/claim-loop.ts';
import { errorCodes, PostroomError, toPostroomError } from './core/errors.ts';
import type { MessageRow } from './core/message.ts';
import { isDeadLocalOwner } from './core/owner-id.ts';
import type { Plan } from './core/plan.ts';
import type {
  DecideContext,
  LoopLimits,
  MailboxSettings,
  ParseLimits,
  Prefixes,
  ProjectsSettings,
  RecordTypeSettings,
  SigningSettings,
} from './decide/context.ts';
import { decide } from './pipeline.ts';
import type { AddressSettings } from './domain/directory/types.ts';
import type { BlobStore } from './store/blob-store.ts';
import type { Store } from './store/store.ts';

export interface RunnerSettings {
  concurrency: number;
  leaseSeconds: number;
  /** milliseconds between polls when the queue is empty */
  pollInterval: number;
  maxAttempts: number;
  backoff: { base: number; max: number };
}

export interface MailboxRunSettings extends MailboxSettings {
  deleteProcessed: boolean;
}

export interface RunnerContext {
  store: Store;
  blobs: BlobStore;
  /** shows each message's raw mail in the spool folder of its state (embedded default) */
  showInSpool?: (id: number, sha256: string, state: MessageRow['state'] | null) => Promise<void>;
  settings: RunnerSettings;
  mailboxes: readonly MailboxRunSettings[];
  recordTypes: Readonly<Record<string, RecordTypeSettings>>;
  prefixes: Prefixes;
  signing: SigningSettings;
  /** how sender addresses match the directory (config `directory`) */
  addressSettings?: AddressSettings;
  projects?: ProjectsSettings;
  limits: ParseLimits;
  rules?: RuleSet;
  plugins?: readonly LoadedPlugin[];
  loopLimits?: LoopLimits;
  /** who answers are sent as, where webhooks go */
  routeApply?: RouteApplySettings;
  log: Logger;
  owner: string;
  now: () => number;
}

/** What decide reads for one claimed message; `rules test` builds the same for stored mail. */
export function decideContextFor(ctx: RunnerContext, message: MessageRow, mailbox: MailboxSettings, now = ctx.now): DecideContext {
  return {
    message,
    mailbox,
    recordTypes: ctx.recordTypes,
    prefixes: ctx.prefixes,
    signing: ctx.signing,
    limits: ctx.limits,
    store: ctx.store,
    directory: ctx.store.directory,
    ...(ctx.addressSettings ? { addressSettings: ctx.addressSettings } : {}),
    ...(ctx.projects ? { projects: ctx.projects } : {}),
    blobs: ctx.blobs,
    now,
    mailboxes: ctx.mailboxes,
    ...(ctx.rules ? { rules: ctx.rules } : {}),
    ...(ctx.plugins ? { plugins: ctx.plugins } : {}),
    ...(ctx.loopLimits ? { loopLimits: ctx.loopLimits } : {}),
  };
}

/**
 * Claims due messages, runs decide and apply on each, and holds the one catch: every claimed
 * message ends committed, deferred for a retry, failed with a reason, or released.
 */
export class Runner {
  private readonly ctx: RunnerContext;
  private readonly loop: ClaimLoop<MessageRow>;
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(ctx: RunnerContext) {
    this.ctx = ctx;
    this.loop = new ClaimLoop({
      concurrency: ctx.settings.concurrency,
      pollInterval: ctx.settings.pollInterval,
      claim: (free) => this.claim(free),
      handle: (message) => this.process(message),
      idOf: (message) => message.id,
      log: ctx.log,
      says: { cannotClaim: 'cannot claim messages; retrying', resumed: 'database reachable again; processing resumes' },
    });
  }

  /** Starts the claim loop after freeing leases of workers on this host that died. */
  async start(): Promise<void> {
    const dead = (await this.ctx.store.leaseOwners()).filter(isDeadLocalOwner);
    if (dead.length > 0) {
      const freed = await this.ctx.store.releaseOwners(
        dead,
        this.ctx.now(),
        this.ctx.settings.backoff.base * 1000,
      );
      this.ctx.log.warn({ owners: dead, messages: freed }, 'released messages claimed by workers that died');
    }
    const leaseMs = this.ctx.settings.leaseSeconds * 1000;
    this.renewTimer = setInterval(
      () => {
        this.ctx.store.renew(this.ctx.owner, this.loop.ids(), this.ctx.now() + leaseMs).catch((err: unknown) => {
          this.ctx.log.warn({ err: toPostroomError(err).message }, 'could not renew leases');
        });
      },
      Math.max(1000, leaseMs / 3),
    );
    this.renewTimer.unref();
    this.loop.start();
  }

  /** New mail arrived in this process: look now instead of at the next poll. */
  notify(): void {
    this.loop.notify();
  }

  /** Drains: claims nothing more, lets in-flight messages finish, then returns. */
  async stop(): Promise<void> {
    await this.loop.stop();
    if (this.renewTimer) clearInterval(this.renewTimer);
  }

  /** Processes until the queue has nothing due; for `postroom ingest --process` and tests. */
  async drain(): Promise<number> {
    let done = 0;
    for (;;) {
      const claimed = await this.claim(this.ctx.settings.concurrency);
      if (claimed.length === 0) break;
      await Promise.all(claimed.map((m) => this.process(m)));
      done += claimed.length;
    }
    return done;
  }

  private applySettings(): ApplySettings {
    const { recordTypes, routeApply } = this.ctx;
    return routeApply ? { recordTypes, route: routeApply } : { recordTypes };
  }

  private claim(limit: number): Promise<MessageRow[]> {
    const now = this.ctx.now();
    return this.ctx.store.claim(this.ctx.owner, limit, now, this.ctx.settings.leaseSeconds * 1000);
  }

  private async process(message: MessageRow): Promise<void> {
    const { ctx } = this;
    const log = ctx.log.child({ message: message.id, mailbox: message.mailbox });
    try {
      const mailbox = ctx.mailboxes.find((m) => m.address.toLowerCase() === message.mailbox.toLowerCase());
      if (!mailbox)
        throw new PostroomError('mailbox_unknown', `mailbox ${message.mailbox} is not configured`);
      if (message.attempts > ctx.settings.maxAttempts) {
        throw new PostroomError(
          'attempts_exhausted',
          `claimed ${message.attempts} times without finishing (a worker died each time?)`,
        );
      }
      const decideContext = decideContextFor(ctx, message, mailbox);
      const plan = await decide(decideContext);
      const result = await applyPlan(ctx.store, message, ctx.owner, plan, this.applySettings(), ctx.now());
      log.info(
        { state: plan.state, outcome: plan.outcome, record: result.recordNumber, error: plan.error?.reason },
        'message decided',
      );
      await this.afterCommit(message, plan, mailbox, result);
    } catch (err) {
      await this.handleFailure(message, toPostroomError(err), log);
    }
  }

  /** The one catch: retry what may pass, quarantine what will not, and always let go of the message. */
  private async handleFailure(message: MessageRow, error: PostroomError, log: Logger): Promise<void> {
    const { ctx } = this;
    if (error.code === 'lease_lost') {
      log.warn('lease lost; another worker finishes this message');
      return;
    }
    const trace = [
      { stage: 'runner', looked: `attempt ${message.attempts}`, concluded: error.code, why: error.message },
    ];
    try {
      if (error.temporary && message.attempts < ctx.settings.maxAttempts) {
        const { base, max } = ctx.settings.backoff;
        const delaySeconds = Math.min(max, base * 2 ** (message.attempts - 1));
        await ctx.store.defer(message.id, ctx.owner, {
          nextAttemptAt: ctx.now() + delaySeconds * 1000,
          errorCode: error.code,
          error: error.message,
          trace,
        });
        log.warn({ code: error.code, retryIn: delaySeconds }, error.message);
        return;
      }
      const code = error.temporary ? 'attempts_exhausted' : error.code;
      const reason = error.temporary
        ? `${error.message} (after ${message.attempts} attempts)`
        : error.message;
      const plan: Plan = {
        state: 'failed',
        outcome: 'quarantined',
        summary: { messageId: message.messageId, subject: message.subject ?? '', from: message.from },
        record: null,
        attachments: [],
        trace,
        error: { code, reason },
      };
      await applyPlan(ctx.store, message, ctx.owner, plan, this.applySettings(), ctx.now());
      log.error({ code, help: errorCodes[code].help }, `quarantined: ${reason}`);
      await this.afterCommit(message, plan, null);
    } catch (second) {
      // The store itself is failing: the lease runs out and the message is claimed again.
      log.error(
        { err: toPostroomError(second).message },
        'could not record the failure; the message will be retried',
      );
    }
  }

  /** Filesystem side effects that follow a commit; idempotent, so a crash before them is harmless. */
  private async afterCommit(
    message: MessageRow,
    plan: Plan,
    mailbox: MailboxRunSettings | null,
    result?: ApplyResult,
  ): Promise<void> {
    const { ctx } = this;
    if (result?.document && ctx.projects?.catalogFolder) {
      try {
        await writeCatalogFiles(ctx.projects.catalogFolder, ctx.blobs, message, plan.document?.catalog, plan.attachments, result.document);
        await ctx.store.markCatalogued(message.id);
      } catch (err) {
        ctx.log.warn({ message: message.id, err: toPostroomError(err).message }, 'catalogue files not written');
      }
    }
    try {
      if (plan.state === 'processed' && mailbox?.deleteProcessed) {
        // Siebel's "Delete Processed Messages": the record holds the text and attachments now.
        await ctx.store.markPurged(message.id);
        await dropRaw(ctx, message);
      } else {
        await ctx.showInSpool?.(message.id, message.rawSha256, plan.state);
      }
    } catch (err) {
      ctx.log.warn(
        { message: message.id, err: toPostroomError(err).message },
        'spool folder view not updated',
      );
    }
  }
}
