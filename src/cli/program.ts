import { Command } from 'commander';
import { loadConfig, maskSecrets } from '../config/load.ts';
import type { App, OpenApp } from './app.ts';
import { decideCommand } from './decide-command.ts';
import { directoryImport, directoryList, directoryShow } from './directory-command.ts';
import { listDocuments, showDocument } from './documents-command.ts';
import { ingestCommand } from './ingest-command.ts';
import { initCommand } from './init-command.ts';
import {
  listMessages,
  rawMessage,
  reprocessMessages,
  type ListOptions,
  showMessage,
  traceMessage,
} from './messages-command.ts';
import { printJson } from './format.ts';
import { purgeMessages, type PurgeOptions } from './purge-command.ts';
import { listRecords, showRecord } from './records-command.ts';
import { rulesTest } from './rules-command.ts';
import { listOutbox } from './outbox-command.ts';
import { testMailbox } from './mailbox-command.ts';
import { startCommand } from './start-command.ts';
import { listWebhooks, replayWebhook } from './webhooks-command.ts';
import { statusCommand, type StatusOptions } from './status-command.ts';

/** The `postroom` command line. */
export function buildProgram(openApp: OpenApp): Command {
  const program = new Command('postroom')
    .description('Inbound email processing engine: monitored mailboxes in, routed work out.')
    .option('-c, --config <file>', 'configuration file (default: $POSTROOM_CONFIG or ./postroom.config.yaml)')
    .showHelpAfterError();

  const configFile = (): { configFile?: string } => {
    const file = program.opts<{ config?: string }>().config;
    return file === undefined ? {} : { configFile: file };
  };
  /** Runs a command against an opened app and always closes it. */
  const withApp = (work: (app: App) => Promise<void>) => async (): Promise<void> => {
    const app = await openApp({ ...configFile(), quiet: true });
    try {
      await work(app);
    } finally {
      await app.close();
    }
  };

  program
    .command('start')
    .description('run the engine: SMTP listener and workers (SIGTERM drains and exits 0)')
    .action(() => startCommand(openApp, program.opts<{ config?: string }>()));

  program
    .command('init')
    .description('write a commented postroom.config.yaml')
    .option('-f, --file <file>', 'where to write it', 'postroom.config.yaml')
    .option('--force', 'overwrite an existing file')
    .action((opts: { file?: string; force?: boolean }) => initCommand(opts));

  program
    .command('ingest')
    .description(
      'store mail from an .eml file, a directory, a Maildir, an mbox, or stdin (-); exit 0 stored, 75 retry later, 65 not mail',
    )
    .argument('<target>', 'FILE, DIR or - for stdin')
    .option('-m, --mailbox <address>', 'mailbox the mail is for (default: the first configured)')
    .option('--process', 'also process the queue now, without a running engine')
    .option('--json', 'print a JSON report')
    .action(async (target: string, opts: { mailbox?: string; process?: boolean; json?: boolean }) => {
      const config = program.opts<{ config?: string }>().config;
      process.exitCode = await ingestCommand(openApp, target, {
        ...opts,
        ...(config === undefined ? {} : { config }),
      });
    });

  program
    .command('decide')
    .description(
      'show how mail would be treated (class, category, notice, reply text, trace) without writing anything',
    )
    .argument('<paths...>', '.eml files or folders of them')
    .option('-m, --mailbox <address>', 'decide as this configured mailbox (default: the first)')
    .option('--json', 'print a JSON array, one object per file')
    .action(async (paths: string[], opts: { mailbox?: string; json?: boolean }) => {
      process.exitCode = await decideCommand(paths, { ...opts, ...configFile() });
    });

  const messages = program.command('messages').description('inspect and reprocess messages');
  messages
    .command('list')
    .description('list messages, oldest first (--newest: newest first)')
    .option(
      '-s, --state <state>',
      'only this state (queued, processing, processed, failed, loopback, skipped, rejected, deferred)',
    )
    .option('-m, --mailbox <address>', 'only this mailbox')
    .option('--from <address>', 'only mail from this sender address')
    .option('--subject <text>', 'only mail whose subject contains this text (any case)')
    .option('--message-id <id>', 'only mail with this Message-ID')
    .option('--since <when>', 'only mail received since: a duration back (7d, 2h) or a date (2026-11-01)')
    .option('--newest', 'the newest first (the last --limit messages)')
    .option('-n, --limit <n>', 'at most this many', '1000')
    .option('--json', 'print JSON')
    .action((opts: ListOptions) => withApp((app) => listMessages(app, opts))());
  messages
    .command('show')
    .description('one message with its attachments and decision trace')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) => withApp((app) => showMessage(app, id, opts))());
  messages
    .command('raw')
    .description('the raw bytes exactly as received')
    .argument('<id>')
    .action((id: string) => withApp((app) => rawMessage(app, id))());
  messages
    .command('trace')
    .description('why the message went where it went')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) => withApp((app) => traceMessage(app, id, opts))());
  messages
    .command('reprocess')
    .description('queue messages again (by id, or all in a state: --state failed)')
    .argument('[ids...]')
    .option('-s, --state <state>', 'every message in this state')
    .option('--json', 'print JSON')
    .action((ids: string[], opts: { state?: string; json?: boolean }) =>
      withApp((app) => reprocessMessages(app, ids, opts))(),
    );

  messages
    .command('purge')
    .description(
      'delete the raw mail of final messages now: by the config\'s retention, or --older-than (rows, traces and records stay)',
    )
    .option('--older-than <duration>', 'finished longer ago than this, e.g. 90d (default: retention.rawMail and retention.failedMail)')
    .option('-s, --state <state>', 'with --older-than: only this final state (default: processed, skipped, loopback, rejected)')
    .option('--dry-run', 'count what would be deleted, change nothing')
    .option('--json', 'print JSON: { dryRun, messages, bytes }')
    .action((opts: PurgeOptions) => withApp((app) => purgeMessages(app, opts))());

  const directory = program
    .command('directory')
    .description('the directory: users, contacts, companies and projects');
  directory
    .command('import')
    .description(
      'upsert users, contacts, companies and projects from a CSV or JSON file (docs/directory-import.md); exit 0 all applied, 65 rows rejected, 66 no such file',
    )
    .argument('<file>', 'FILE.csv or FILE.json')
    .option('--dry-run', 'report what would change without writing anything')
    .option('--json', 'print a JSON report')
    .action(async (file: string, opts: { dryRun?: boolean; json?: boolean }) => {
      const app = await openApp({ ...configFile(), quiet: true });
      try {
        process.exitCode = await directoryImport(app, file, opts);
      } finally {
        await app.close();
      }
    });
  directory
    .command('list')
    .description('list the directory (JSON output is the import format)')
    .option('-k, --kind <kind>', 'only this kind: user, contact, company or project')
    .option('--json', 'print JSON')
    .action((opts: { kind?: string; json?: boolean }) => withApp((app) => directoryList(app, opts))());
  directory
    .command('show')
    .description('one user, contact, company or project, by ID or by email address')
    .argument('<idOrAddress>')
    .option('--json', 'print JSON')
    .action((target: string, opts: { json?: boolean }) => withApp((app) => directoryShow(app, target, opts))());

  const documents = program.command('documents').description('project documents created or updated by mail (seed 004)');
  documents
    .command('list')
    .description('list documents, oldest first')
    .option('-n, --limit <n>', 'at most this many', '1000')
    .option('--json', 'print JSON')
    .action((opts: { limit?: string; json?: boolean }) => withApp((app) => listDocuments(app, opts))());
  documents
    .command('show')
    .description('one document with its route and the mail that went into it')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) => withApp((app) => showDocument(app, id, opts))());

  program
    .command('outbox')
    .description('mail Postroom sends: answers, forwards, redirects, notices')
    .command('list')
    .description('list outgoing mail, newest first')
    .option('-s, --state <state>', 'only this state (queued, sending, sent, failed)')
    .option('--failed', 'only mail given up on (state failed), with the server\'s last answer')
    .option('-n, --limit <n>', 'at most this many', '1000')
    .option('--json', 'print JSON')
    .action((opts: { state?: string; failed?: boolean; limit?: string; json?: boolean }) =>
      withApp((app) => listOutbox(app, opts))(),
    );

  const webhooks = program.command('webhooks').description('signed webhook deliveries: their state, the dead letters, replay');
  webhooks
    .command('list')
    .description('list deliveries, newest first')
    .option('--failed', 'only the dead-letter deliveries (state dead: every try of webhooks.schedule failed)')
    .option('-s, --state <state>', 'only this state (queued, delivering, delivered, dead)')
    .option('-n, --limit <n>', 'at most this many', '1000')
    .option('--json', 'print JSON')
    .action((opts: { failed?: boolean; state?: string; limit?: string; json?: boolean }) =>
      withApp((app) => listWebhooks(app, opts))(),
    );
  webhooks
    .command('replay')
    .description('queue a delivery again from its first try, with the same event id (idempotency key)')
    .argument('<id>')
    .option('--json', 'print JSON')
    .action((id: string, opts: { json?: boolean }) => withApp((app) => replayWebhook(app, id, opts))());

  program
    .command('rules')
    .description('the rule phases and inbound actions of rules: in postroom.config.yaml')
    .command('test')
    .description('run decide with these rules on stored (or given) mail, apply nothing, and show what would change')
    .argument('[paths...]', '.eml files to decide instead of stored mail')
    .option('--rules <file>', 'a rules file (the phases, or a config with rules:) instead of the configured rules')
    .option('--since <duration>', 'stored mail received within this long, e.g. 7d (default 7d)')
    .option('--message <id...>', 'these stored messages')
    .option('-n, --limit <n>', 'look at most at this many stored messages', '10000')
    .option('--json', 'print JSON')
    .action((paths: string[], opts: { rules?: string; since?: string; message?: string[]; limit?: string; json?: boolean }) =>
      withApp(async (app) => {
        process.exitCode = await rulesTest(app, paths, opts);
      })(),
    );

  const records = program.command('records').description('records mail created or updated (cases, incidents …)');
  records
    .command('list')
    .description('list records, newest first')
    .option('-n, --limit <n>', 'at most this many', '1000')
    .option('--json', 'print JSON')
    .action((opts: { limit?: string; json?: boolean }) => withApp((app) => listRecords(app, opts))());
  records
    .command('show')
    .description('one record with its fields and history (mail, comments)')
    .argument('<number>')
    .option('--json', 'print JSON')
    .action((number: string, opts: { json?: boolean }) => withApp((app) => showRecord(app, number, opts))());

  program
    .command('mailbox')
    .description('check monitored mailboxes')
    .command('test')
    .description('connect, log in, and list what would be fetched, or say plainly what is wrong')
    .argument('<address>')
    .option('--json', 'print JSON')
    .action(async (address: string, opts: { json?: boolean }) => {
      const app = await openApp({ ...configFile(), quiet: true });
      try {
        process.exitCode = await testMailbox(app, address, opts);
      } finally {
        await app.close();
      }
    });

  program
    .command('status')
    .description('counts per state and mailbox, oldest waiting message')
    .option('--json', 'print JSON')
    .option('--check', 'a monitoring probe: a verdict line first, exit 0 ok, 1 warning, 2 critical')
    .option('--max-queue-age <duration>', 'with --check: mail waiting longer than this is critical', '15m')
    .action((opts: StatusOptions) => withApp((app) => statusCommand(app, opts))());

  const config = program.command('config').description('show the configuration');
  config
    .command('print')
    .description('the effective configuration, secrets masked')
    .action(() => {
      const { config: effective } = loadConfig({ file: configFile().configFile });
      printJson(maskSecrets(effective));
    });

  return program;
}
