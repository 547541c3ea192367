import { openConnector } from '../intake/open-connector.ts';
import type { App } from './app.ts';
import { printJson } from './format.ts';

/** The admin's reading of a connection failure: what is wrong, in plain words. */
export function explainConnectError(err: unknown, host: string, port: number | undefined): string {
  const e = err as {
    code?: string;
    message?: string;
    authenticationFailed?: boolean;
    kind?: string;
    responseText?: string;
  };
  const where = `${host}${port ? `:${port}` : ''}`;
  const text = e.responseText ?? e.message ?? String(err);
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || /ENOTFOUND|getaddrinfo/.test(text))
    return `DNS: the host name ${host} does not resolve`;
  if (e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text))
    return `connection refused at ${where}: wrong port, or the server is not running`;
  if (e.code === 'ETIMEDOUT' || e.kind === 'timeout' || /timed? ?out/i.test(text))
    return `no answer from ${where} in time: a firewall, or the wrong port`;
  if (
    /certificate|self[- ]signed|TLS|SSL|wrong version number/i.test(text) ||
    e.code?.startsWith('ERR_TLS') ||
    e.code?.includes('CERT')
  ) {
    return `TLS: ${text} (check server.tls; server.rejectUnauthorized: false only for a self-signed test server)`;
  }
  if (e.authenticationFailed || e.kind === 'auth' || /auth|login|password|credentials/i.test(text))
    return `authentication failed for this user: ${text}`;
  if (/mailbox doesn't exist|does not exist|nonexistent|NONEXISTENT/i.test(text))
    return `folder missing: ${text}`;
  return text;
}

/** `postroom mailbox test NAME`: connect, log in, and say what would be fetched or what is wrong. */
export async function testMailbox(app: App, name: string, opts: { json?: boolean }): Promise<number> {
  const mailbox = app.config.mailboxes.find((m) => m.address.toLowerCase() === name.toLowerCase());
  if (!mailbox)
    throw new Error(
      `no mailbox ${name} in the configuration (configured: ${app.config.mailboxes.map((m) => m.address).join(', ')})`,
    );
  const connector = openConnector({
    mailbox,
    spool: {
      store: app.store,
      blobs: app.blobs,
      maxMessageSize: app.config.limits.messageSize,
      now: Date.now,
    },
    state: app.store,
    log: app.log,
    env: process.env,
  });
  if (!connector) {
    const message = `${mailbox.address} receives mail by SMTP or \`postroom ingest\`; there is no server to test`;
    if (opts.json) printJson({ mailbox: mailbox.address, ok: true, connector: mailbox.connector, message });
    else process.stdout.write(`${message}\n`);
    return 0;
  }
  try {
    const probe = await connector.probe();
    if (opts.json) printJson({ mailbox: mailbox.address, ok: true, connector: mailbox.connector, ...probe });
    else {
      process.stdout.write(
        `${mailbox.address}: OK (${mailbox.connector} ${mailbox.server?.host})\n` +
          `  on the server: ${probe.count} message(s), ${probe.newMessages} not yet fetched\n` +
          (probe.oldest ? `  oldest: ${probe.oldest}  newest: ${probe.newest}\n` : '') +
          `  capabilities: ${probe.capabilities.join(' ') || '(none announced)'}\n`,
      );
    }
    return 0;
  } catch (err) {
    const problem = explainConnectError(err, mailbox.server?.host ?? '', mailbox.server?.port);
    if (opts.json) printJson({ mailbox: mailbox.address, ok: false, connector: mailbox.connector, problem });
    else process.stderr.write(`${mailbox.address}: FAILED: ${problem}\n`);
    return 1;
  } finally {
    await connector.close();
  }
}
