import nodemailer from 'nodemailer';
import type { OutboundServer } from '../config/act-schema.ts';
import type { ComposedMail } from './outgoing-mime.ts';

/** Connections per mailbox server: several sends at once, few enough not to look like a flood. */
export const CONNECTIONS_PER_SERVER = 5;

type PoolTransport = ReturnType<typeof createPool>;

function createPool(server: OutboundServer) {
  const ms = server.timeout * 1000;
  return nodemailer.createTransport({
    pool: true,
    maxConnections: CONNECTIONS_PER_SERVER,
    maxMessages: 100,
    // A connection that drops mid-send hands the mail back to us as a failed try (retried with
    // backoff, same Message-ID) instead of the pool re-sending it at once, again and again.
    maxRequeues: 0,
    host: server.host,
    port: server.port,
    secure: server.tls === true,
    ignoreTLS: server.tls === false,
    // "starttls" upgrades when offered; with credentials it must, or a stripped STARTTLS would
    // make us send the password in clear.
    requireTLS: server.tls === 'starttls' && server.auth !== undefined,
    tls: { rejectUnauthorized: server.rejectUnauthorized },
    ...(server.auth ? { auth: { user: server.auth.user, pass: server.auth.password } } : {}),
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
    // nodemailer's own logger would print the AUTH exchange; we log outcomes ourselves.
    logger: false,
    debug: false,
  });
}

/** One pooled nodemailer transport per mailbox, created on first use. */
export class SmtpTransports {
  private readonly pools = new Map<string, PoolTransport>();

  /** The server's answer, and the recipients it refused when it took the mail for the others. */
  async send(
    mailbox: string,
    server: OutboundServer,
    mail: ComposedMail,
  ): Promise<{ response: string; rejected: string[] }> {
    let pool = this.pools.get(mailbox);
    if (!pool) {
      pool = createPool(server);
      this.pools.set(mailbox, pool);
    }
    const info = await pool.sendMail({ envelope: mail.envelope, raw: mail.raw });
    return { response: info.response, rejected: info.rejected };
  }

  close(): void {
    for (const pool of this.pools.values()) pool.close();
    this.pools.clear();
  }
}

/** A failed send as the outbox keeps it: retry or give up, and the words an admin reads. */
export interface SendFailure {
  permanent: boolean;
  text: string;
}

/**
 * RFC 5321 §4.2.1: a 5yz answer is permanent, a 4yz one transient; nodemailer reads the reply
 * class for us (`permanent`, with 503 counted as transient). Everything else without an answer
 * (refused connection, timeout, TLS) is transient: the server may be back later.
 */
export function classifySendError(err: unknown, mailboxKey: string): SendFailure {
  const e = err as {
    code?: string;
    response?: string;
    responseCode?: number;
    permanent?: boolean;
    message?: string;
  };
  const answer = e.response?.trim();
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    // A refused login is the admin's to fix, not the mail's fault: keep retrying until they do.
    return {
      permanent: false,
      text: `login refused${answer ? `: ${answer}` : ''}; check ${mailboxKey}.outbound.auth`,
    };
  }
  if (answer) return { permanent: e.permanent === true, text: answer };
  const text = `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`;
  // Refused before any server saw it (no recipients, a malformed address): the same every try.
  return { permanent: e.code === 'EENVELOPE', text };
}
