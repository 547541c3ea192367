import { PassThrough, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { toPostroomError } from '../core/errors.ts';
import { spoolRaw, type SpoolContext } from './spool-writer.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  maxMessageSize: number;
  banner: string;
}

export interface SmtpIntake {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** An SMTP error with the reply code smtp-server sends. */
function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * The SMTP listener: accepts mail for the configured mailboxes and answers 250 only after
 * the raw bytes and the spool row are committed. A store or disk failure answers 451, so
 * the sending MTA keeps the mail and retries; nothing is lost.
 */
export async function startSmtpIntake(
  settings: SmtpSettings,
  mailboxes: readonly string[],
  spool: SpoolContext,
  log: Logger,
): Promise<SmtpIntake> {
  const known = new Map(mailboxes.map((m) => [m.toLowerCase(), m]));
  const server = new SMTPServer({
    banner: settings.banner,
    size: settings.maxMessageSize,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (known.has(address.address.toLowerCase())) return callback();
      callback(smtpError(550, `5.1.1 <${address.address}>: no such mailbox here`));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const targets = [
        ...new Set(session.envelope.rcptTo.map((r) => known.get(r.address.toLowerCase()))),
      ].filter((m): m is string => m !== undefined);
      receive(stream, targets, session)
        .then((reply) => callback(null, reply))
        .catch((err: Error) => callback(err));
    },
  });

  async function receive(
    stream: SMTPServerDataStream,
    targets: string[],
    session: SMTPServerSession,
  ): Promise<string> {
    // A copy stream, so a failed write can stop reading without tearing down the SMTP session.
    const body = new PassThrough();
    stream.pipe(body);
    try {
      const stored = await spoolRaw(spool, body as Readable, {
        mailboxes: targets,
        source: 'smtp',
        origin: session.remoteAddress,
        envelope: {
          remoteAddress: session.remoteAddress || null,
          helo: session.hostNameAppearsAs || null,
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address || '' : null,
        },
      });
      if (stream.sizeExceeded) throw smtpError(552, `5.3.4 message exceeds ${settings.maxMessageSize} bytes`);
      const ids = stored.rows.map((r) => `${r.id}${r.duplicate ? ' (duplicate)' : ''}`).join(', ');
      log.info(
        { rows: stored.rows, size: stored.size, peer: session.remoteAddress },
        'mail accepted over SMTP',
      );
      return `2.0.0 queued as ${ids}`;
    } catch (err) {
      stream.unpipe(body);
      stream.resume();
      if (!stream.readableEnded) await new Promise((resolve) => stream.once('end', resolve));
      if ((err as { responseCode?: number }).responseCode) throw err;
      const e = toPostroomError(err);
      if (e.code === 'message_too_large') throw smtpError(552, `5.3.4 ${e.message}`);
      log.error({ code: e.code, err: e.message }, 'mail not stored; answered 451 so the sender retries');
      throw smtpError(451, `4.3.0 temporary failure storing the message (${e.code}); please retry`);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err: err.message }, 'SMTP server error'));
  const bound = server.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : settings.port;
  return {
    address: { host: settings.host, port },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
