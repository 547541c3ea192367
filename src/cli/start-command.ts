import { PostroomError } from '../core/errors.ts';
import { isDeadLocalOwner, newOwnerId } from '../core/owner-id.ts';
import { MailboxPoller } from '../intake/mailbox-poller.ts';
import { openConnector } from '../intake/open-connector.ts';
import { startSmtpIntake, type SmtpIntake } from '../intake/smtp.ts';
import { startHttpFace, type HttpFace } from '../api/http-face.ts';
import type { SpoolContext } from '../intake/spool-writer.ts';
import { WorkerPool } from '../worker-pool.ts';
import { DEFAULT_WEBHOOK_CONCURRENCY, WebhookSender } from '../outbound/webhooks/webhook-sender.ts';
import type { OpenApp } from './app.ts';
import { finishPendingCatalogue } from '../apply/catalog-files.ts';
import { OutboxSender } from '../outbound/outbox-sender.ts';
import { RetentionSweeper } from './retention-sweep.ts';
import { markSpoolViewWhole, repairSpoolView, ShowBehind } from './spool-visibility.ts';

/** `postroom start`: the SMTP listener, the HTTP face, the pollers and the workers, until SIGTERM/SIGINT drains them. */
export async function startCommand(openApp: OpenApp, options: { config?: string }): Promise<void> {
  const app = await openApp(options.config === undefined ? {} : { configFile: options.config });
  const { config, log } = app;
  const workers = new WorkerPool(config, app.configFile, log);
  try {
    await workers.start(config.runner.workers);
  } catch (err) {
    await workers.stop();
    await app.close();
    throw err;
  }
  // Mail and events a killed engine on this host was sending go out again now, not after their lease.
  const resend = (await app.store.outbox.releaseDead(isDeadLocalOwner)) + (await app.store.webhooks.releaseDead(isDeadLocalOwner));
  if (resend > 0) log.warn({ rows: resend }, 'outbox and webhook rows a stopped engine was sending are due again');
  // Committed webhook events are POSTed from here (the workers only queue them).
  const webhookSender = new WebhookSender({
    queue: app.store.webhooks,
    blobs: app.blobs,
    webhooks: config.webhooks,
    pollInterval: config.runner.pollInterval,
    concurrency: DEFAULT_WEBHOOK_CONCURRENCY,
    owner: newOwnerId(),
    log: log.child({ component: 'webhooks' }),
    now: Date.now,
  });
  webhookSender.start();

  // Housekeeping after an unclean stop, in the background: mail can be taken in meanwhile.
  app.blobs
    .sweepTemp?.(3_600_000)
    .then((removed) => {
      if (removed > 0) log.info({ removed }, 'removed partial blob writes left by an unclean stop');
    })
    .catch(() => undefined);
  app.store.sweepRawOrphans(3_600_000).then(
    (removed) => {
      if (removed > 0) log.info({ removed }, 'removed raw mail that an unclean stop left without its spool rows');
    },
    (err: unknown) => log.warn({ err: (err as Error).message }, 'raw mail left by an unclean stop not swept'),
  );
  const repairing = repairSpoolView(app).then(
    (moved) => {
      if (moved > 0) log.warn({ moved }, 'spool folder view repaired after an unclean stop');
    },
    (err: unknown) => log.warn({ err: (err as Error).message }, 'spool folder view not repaired'),
  );
  finishPendingCatalogue(config.projects.catalogFolder, app.store, app.blobs).then(
    (finished) => {
      if (finished > 0) log.warn({ finished }, 'catalogue files written that an unclean stop left undone');
    },
    (err: unknown) => log.warn({ err: (err as Error).message }, 'catalogue files not repaired'),
  );

  const view = new ShowBehind(app);
  const spool: SpoolContext = {
    store: app.store,
    blobs: app.blobs,
    maxMessageSize: Math.min(config.smtp.maxMessageSize, config.limits.messageSize),
    now: Date.now,
    onSpooled: async (rows) => {
      workers.notify();
      await view.add(rows);
    },
  };
  const owner = newOwnerId();
  const pollers: MailboxPoller[] = [];
  // Fetched mail is bounded by limits.messageSize only; smtp.maxMessageSize is for the listener.
  const fetchSpool: SpoolContext = { ...spool, maxMessageSize: config.limits.messageSize };
  for (const mailbox of config.mailboxes) {
    // The connector's own log lines (IMAP connection errors, UIDVALIDITY changes) name the mailbox too.
    const mailboxLog = log.child({ mailbox: mailbox.address, connector: mailbox.connector });
    const connector = openConnector({ mailbox, spool: fetchSpool, state: app.store, log: mailboxLog, env: process.env });
    if (!connector) continue;
    const settings = {
      owner,
      leaseMs: config.runner.leaseSeconds * 1000,
      backoff: config.runner.backoff,
      now: Date.now,
    };
    pollers.push(new MailboxPoller(mailbox, connector, app.store, settings, log));
  }
  for (const poller of pollers) poller.start();

  let smtp: SmtpIntake | null = null;
  let http: HttpFace | null = null;
  try {
    if (config.smtp.enabled) smtp = await listen('SMTP', 'smtp', config.smtp, () => startSmtpIntake(config.smtp, config.mailboxes.map((m) => m.address), spool, log));
    if (config.http.enabled)
      http = await listen('HTTP', 'http', config.http, () =>
        startHttpFace(config.http, { config, store: app.store, blobs: app.blobs, spool, spoolView: app.spoolView, signing: app.signing, log: log.child({ component: 'http' }), now: Date.now }),
      );
  } catch (err) {
    await smtp?.close();
    await Promise.all(pollers.map((p) => p.stop()));
    await workers.stop();
    await webhookSender.stop();
    await view.drain();
    await app.close();
    throw err;
  }
  // The outbox sender: answers that apply queued, out through each mailbox's SMTP server.
  const outboxSender = new OutboxSender({
    outbox: app.store.outbox,
    blobs: app.blobs,
    config,
    owner,
    log,
    now: Date.now,
    env: process.env,
  });
  outboxSender.start();
  // After the view's repair, which would otherwise show again mail the sweep takes out of it.
  const retention = new RetentionSweeper(app, config.retention, log);
  void repairing.then(() => retention.start());

  log.info(
    {
      smtp: smtp ? `${smtp.address.host}:${smtp.address.port}` : 'disabled',
      http: http ? `${http.address.host}:${http.address.port}` : 'disabled',
      dataDir: config.dataDir,
      database:
        app.store.dialect === 'sqlite'
          ? `sqlite (${config.database.url || `${config.dataDir}/postroom.db`})`
          : 'postgres',
      mailboxes: config.mailboxes.map((m) => `${m.address} (${m.connector})`),
      workers: config.runner.workers,
      config: app.configFile ?? '(defaults)',
    },
    `postroom started: SMTP on ${smtp ? `${smtp.address.host}:${smtp.address.port}` : '(disabled)'}${http ? `, HTTP on ${http.address.host}:${http.address.port}` : ''}, data in ${config.dataDir}`,
  );

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      log.info({ signal }, 'draining: no new mail accepted, finishing messages in flight');
      resolve();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  await smtp?.close();
  await http?.close();
  await Promise.all(pollers.map((p) => p.stop()));
  await workers.stop();
  await webhookSender.stop();
  await outboxSender.stop();
  await retention.stop();
  await repairing;
  await view.drain();
  await markSpoolViewWhole(app).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'spool folder view mark not written'));
  await app.close();
  log.info('stopped');
}

/** Starts a listener, turning a refused port into an error that names the keys to change. */
async function listen<T>(what: string, key: string, at: { host: string; port: number }, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${at.host}:${at.port}`;
    throw new PostroomError(
      'internal',
      code === 'EADDRINUSE'
        ? `Cannot listen for ${what} on ${where}: the port is in use by another process. Set ${key}.port in postroom.config.yaml (or POSTROOM_${key.toUpperCase()}_PORT) to a free port, or stop the other process.`
        : `Cannot listen for ${what} on ${where}: ${(err as Error).message}. Check ${key}.host and ${key}.port.`,
    );
  }
}
