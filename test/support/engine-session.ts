// What integration tests do against a running `postroom start`: the CLI with the test's
// config, message listings, waiting for a message to reach a final state, sending over SMTP.
import { rmSync } from 'node:fs';
import nodemailer from 'nodemailer';
import {
  engineConfig,
  freePort,
  freshDatabaseUrl,
  runCli,
  startEngine,
  tempDir,
  waitFor,
  writeConfig,
  type Backend,
  type CliResult,
  type EngineProcess,
} from './engine.ts';

/** A message as `postroom messages list --json` prints it (the fields tests read). */
export interface ListedMessage {
  id: number;
  mailbox: string;
  messageId: string | null;
  subject: string | null;
  from: string | null;
  state: string;
  outcome: string | null;
  record: string | null;
  class: string | null;
  loopbackCandidate: boolean;
  duplicates: number;
  receivedAt: string;
}

export interface TraceStep {
  stage: string;
  looked: string;
  concluded: string;
  why: string;
}

/** `messages show --json`: the listing plus trace and notice. */
export interface ShownMessage extends ListedMessage {
  error: string | null;
  trace: TraceStep[];
  notice: {
    kind: string;
    originalMessageId: string | null;
    linkedMessage: number | null;
    record: string | null;
    recipients: { address: string; status: string; hard: boolean; bouncing: boolean }[];
  } | null;
}

// deferred is waiting for a retry (a record_race, a store hiccup): not final either.
const working = new Set(['queued', 'processing', 'deferred']);

export class EngineSession {
  readonly dir: string;
  readonly config: string;
  readonly port: number;
  /** the database URL ('' = SQLite under dir/data) */
  readonly url: string;
  engine: EngineProcess | undefined;

  constructor(options: { dir: string; config: string; port: number; url?: string; engine?: EngineProcess }) {
    this.dir = options.dir;
    this.config = options.config;
    this.port = options.port;
    this.url = options.url ?? '';
    this.engine = options.engine;
  }

  /**
   * A `postroom start` on a fresh database of `backend` in a new temp folder, with the test
   * engine settings plus `extra` config lines (mailboxes, record types …).
   */
  static async start(
    backend: Backend,
    extra: readonly string[] | ((smtpPort: number) => readonly string[]) = [],
  ): Promise<EngineSession> {
    const dir = tempDir();
    const port = await freePort();
    const url = await freshDatabaseUrl(backend);
    // A function gets the engine's SMTP port: config that sends mail back to the engine needs it.
    const lines = typeof extra === 'function' ? extra(port) : extra;
    const config = writeConfig(dir, engineConfig({ dataDir: `${dir}/data`, url, port, extra: lines.join('\n') }));
    const session = new EngineSession({ dir, config, port, url });
    await session.restart();
    return session;
  }

  /** Starts the engine again (after `stop`), on the same folder and database. */
  async restart(): Promise<void> {
    this.engine = await startEngine({ cwd: this.dir, config: this.config, port: this.port });
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const code = (await this.engine?.stop()) ?? null;
    this.engine = undefined;
    return code;
  }

  /** Kills the engine and removes the folder. */
  async close(): Promise<void> {
    await this.engine?.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  cli(...args: string[]): Promise<CliResult> {
    return runCli(['-c', this.config, ...args], { cwd: this.dir });
  }

  async list(): Promise<ListedMessage[]> {
    return JSON.parse((await this.cli('messages', 'list', '--json')).stdout) as ListedMessage[];
  }

  async show(id: number): Promise<ShownMessage> {
    return JSON.parse((await this.cli('messages', 'show', String(id), '--json')).stdout) as ShownMessage;
  }

  /** Messages of a mailbox that have reached a final state. */
  async settledIn(mailbox: string): Promise<ListedMessage[]> {
    return (await this.list()).filter((m) => m.mailbox === mailbox && !working.has(m.state));
  }

  /** Waits until the message with this Message-ID (in this mailbox, if given) is final. */
  async settled(messageId: string, mailbox?: string, timeoutMs = 20_000): Promise<ListedMessage> {
    let found: ListedMessage | undefined;
    await waitFor(
      async () => {
        found = (await this.list()).find(
          (m) => m.messageId === messageId && (mailbox === undefined || m.mailbox === mailbox) && !working.has(m.state),
        );
        return found !== undefined;
      },
      timeoutMs,
      `<${messageId}>${mailbox ? ` in ${mailbox}` : ''} to be processed`,
    );
    return found!;
  }

  /** Sends raw RFC 5322 bytes over SMTP and returns the server's answer line. */
  async sendRaw(raw: string, envelope: { from: string; to: string[] }): Promise<string> {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: this.port, secure: false, ignoreTLS: true });
    try {
      return (await transport.sendMail({ envelope, raw })).response;
    } finally {
      transport.close();
    }
  }
}
