// A small POP3 client (RFC 1939, 2449 CAPA, 2595 STLS, 5034 SASL, APOP) over node:net/tls.
// Why our own: the npm POP3 clients are unmaintained, buffer whole messages in memory, or lack
// STLS/UIDL/SASL; a POP3 session is a few commands, and we need RETR streamed into the spool.
import { createHash } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export interface Pop3Options {
  host: string;
  port: number;
  /** implicit: TLS from the first byte (995); starttls: STLS after the greeting; none: plain */
  tls: 'implicit' | 'starttls' | 'none';
  rejectUnauthorized: boolean;
  /** for connect and for every command */
  timeoutMs: number;
}

/** A POP3 error reply or a protocol failure, with the server's words. */
export class Pop3Error extends Error {
  readonly kind: 'auth' | 'protocol' | 'timeout' | 'connection';
  constructor(kind: Pop3Error['kind'], message: string) {
    super(message);
    this.name = 'Pop3Error';
    this.kind = kind;
  }
}

export interface UidlEntry {
  number: number;
  uidl: string;
}

type Waiter = { resolve: (line: string) => void; reject: (err: Error) => void };

/** One POP3 session. Commands run one at a time; RETR streams the message. */
export class Pop3Client {
  private socket: Socket | TLSSocket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiter: Waiter | null = null;
  private body: { out: PassThrough; atLineStart: boolean; done: (err?: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly options: Pop3Options;
  greeting = '';

  private constructor(socket: Socket | TLSSocket, options: Pop3Options) {
    this.socket = socket;
    this.options = options;
    this.attach(socket);
  }

  /** Connects, reads the greeting and, for starttls, upgrades with STLS. */
  static async connect(options: Pop3Options): Promise<Pop3Client> {
    const socket = await open(options);
    const client = new Pop3Client(socket, options);
    client.greeting = await client.readStatus('greeting');
    if (options.tls === 'starttls') await client.startTls();
    return client;
  }

  async capabilities(): Promise<string[]> {
    try {
      await this.command('CAPA');
    } catch {
      return [];
    }
    return (await this.readMultiline()).map((l) => l.toUpperCase());
  }

  /** USER/PASS, or APOP when the greeting offers a timestamp and `preferApop` is set. */
  async login(user: string, password: string, preferApop = false): Promise<void> {
    const stamp = /<[^<>]+@[^<>]+>/.exec(this.greeting)?.[0];
    try {
      if (preferApop && stamp) {
        const digest = createHash('md5')
          .update(stamp + password)
          .digest('hex');
        await this.command(`APOP ${user} ${digest}`, 'APOP ***');
        return;
      }
      await this.command(`USER ${user}`);
      await this.command(`PASS ${password}`, 'PASS ***');
    } catch (err) {
      throw new Pop3Error('auth', `login refused: ${(err as Error).message}`);
    }
  }

  /** SASL XOAUTH2 (RFC 5034 AUTH with an initial response); Microsoft 365 and Gmail use it. */
  async loginXoauth2(user: string, token: string): Promise<void> {
    const payload = Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    let refusal: string;
    try {
      await this.command(`AUTH XOAUTH2 ${payload}`, 'AUTH XOAUTH2 ***');
      return;
    } catch (err) {
      refusal = (err as Error).message;
    }
    // RFC 7628 §3.2.2: the server refuses with a challenge holding a base64 JSON error; the client
    // answers it with an empty response and the server ends the exchange with -ERR.
    const challenge = /^AUTH XOAUTH2 \*\*\*: \+ ?([A-Za-z0-9+/=]*)$/.exec(refusal)?.[1];
    if (challenge !== undefined) {
      let status = '';
      try {
        const error = JSON.parse(Buffer.from(challenge, 'base64').toString('utf8')) as { status?: unknown };
        if (typeof error.status === 'string' || typeof error.status === 'number') status = ` (OAuth status ${error.status})`;
      } catch {
        // not JSON: the -ERR line says enough
      }
      refusal = await this.command('', 'after the XOAUTH2 challenge').then(
        () => 'the server answered +OK to an empty response',
        (err: unknown) => (err as Error).message.replace(/^after the XOAUTH2 challenge: /, ''),
      );
      refusal += status;
    }
    throw new Pop3Error('auth', `XOAUTH2 refused: ${refusal}`);
  }

  async uidl(): Promise<UidlEntry[]> {
    await this.command('UIDL');
    return (await this.readMultiline()).flatMap((line) => {
      const [n, uidl] = line.split(' ');
      return n && uidl ? [{ number: Number(n), uidl }] : [];
    });
  }

  /** LIST: message number → size in octets, to leave oversized mail on the server unread. */
  async list(): Promise<Map<number, number>> {
    await this.command('LIST');
    const sizes = new Map<number, number>();
    for (const line of await this.readMultiline()) {
      const [n, size] = line.split(' ');
      if (n && size) sizes.set(Number(n), Number(size));
    }
    return sizes;
  }

  /** RETR n as a stream of the message's bytes, dot-unstuffed; the session waits until it is read. */
  async retrieve(number: number): Promise<Readable> {
    await this.command(`RETR ${number}`);
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    out.on('drain', () => this.socket.resume());
    const finished = new Promise<void>((resolve, reject) => {
      this.body = {
        out,
        atLineStart: true,
        done: (err) => {
          this.body = null;
          if (err) {
            out.destroy(err);
            reject(err);
          } else {
            out.end();
            resolve();
          }
        },
      };
    });
    finished.catch(() => undefined);
    this.pump();
    return out;
  }

  async delete(number: number): Promise<void> {
    await this.command(`DELE ${number}`);
  }

  /** QUIT commits the DELEs (RFC 1939: the UPDATE state); a session that ends otherwise deletes nothing. */
  async quit(): Promise<void> {
    try {
      await this.command('QUIT');
    } finally {
      this.socket.end();
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private async startTls(): Promise<void> {
    await this.command('STLS');
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    this.socket = await new Promise<TLSSocket>((resolve, reject) => {
      const secure = tlsConnect({
        socket: plain,
        servername: this.options.host,
        rejectUnauthorized: this.options.rejectUnauthorized,
      });
      secure.once('secureConnect', () => resolve(secure));
      secure.once('error', (err) =>
        reject(new Pop3Error('connection', `TLS after STLS failed: ${err.message}`)),
      );
    });
    this.attach(this.socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setTimeout(this.options.timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.pump();
    });
    socket.on('timeout', () =>
      this.fail(
        new Pop3Error('timeout', `no answer from ${this.options.host} within ${this.options.timeoutMs} ms`),
      ),
    );
    socket.on('error', (err) => this.fail(new Pop3Error('connection', err.message)));
    socket.on('close', () => this.fail(new Pop3Error('connection', 'the server closed the connection')));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.waiter?.reject(err);
    this.waiter = null;
    this.body?.done(err);
  }

  /** Feeds buffered bytes to whoever waits: a message body being streamed, or a reply line. */
  private pump(): void {
    if (this.body) {
      this.pumpBody(this.body);
      if (this.body) return;
    }
    if (!this.waiter) return;
    const end = this.buffer.indexOf('\r\n');
    if (end < 0) return;
    const line = this.buffer.subarray(0, end).toString('latin1');
    this.buffer = this.buffer.subarray(end + 2);
    const waiter = this.waiter;
    this.waiter = null;
    waiter.resolve(line);
  }

  private pumpBody(body: NonNullable<Pop3Client['body']>): void {
    let start = 0;
    const buf = this.buffer;
    const chunks: Buffer[] = [];
    for (;;) {
      if (body.atLineStart) {
        // Need at least 3 bytes to tell ".\r\n" (end) from "..x" (stuffed) from "x".
        if (buf.length - start < 3 && buf.indexOf('\n', start) < 0) break;
        if (buf[start] === 0x2e) {
          if (buf[start + 1] === 0x0d && buf[start + 2] === 0x0a) {
            if (chunks.length) body.out.write(Buffer.concat(chunks));
            this.buffer = buf.subarray(start + 3);
            body.done();
            return;
          }
          start += 1; // RFC 1939 byte-stuffing: drop the leading dot
        }
      }
      const nl = buf.indexOf('\n', start);
      if (nl < 0) {
        chunks.push(buf.subarray(start));
        start = buf.length;
        body.atLineStart = false;
        break;
      }
      chunks.push(buf.subarray(start, nl + 1));
      start = nl + 1;
      body.atLineStart = true;
    }
    this.buffer = buf.subarray(start);
    if (chunks.length && !body.out.write(Buffer.concat(chunks))) this.socket.pause();
  }

  private readLine(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.pump();
    });
  }

  private async readStatus(what: string): Promise<string> {
    const line = await this.readLine();
    if (line.startsWith('+OK')) return line.slice(3).trim();
    throw new Pop3Error('protocol', `${what}: ${line.slice(0, 200)}`);
  }

  private async readMultiline(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine();
      if (line === '.') return lines;
      lines.push(line.startsWith('..') ? line.slice(1) : line);
    }
  }

  private async command(text: string, shown = text): Promise<string> {
    if (this.failure) throw this.failure;
    this.socket.write(`${text}\r\n`);
    return this.readStatus(shown);
  }
}

function open(options: Pop3Options): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Pop3Error(
          'timeout',
          `cannot connect to ${options.host}:${options.port} within ${options.timeoutMs} ms`,
        ),
      );
    }, options.timeoutMs);
    const done = (err?: Error): void => {
      clearTimeout(timer);
      if (err)
        reject(
          new Pop3Error('connection', `cannot connect to ${options.host}:${options.port}: ${err.message}`),
        );
      else resolve(socket);
    };
    const socket: Socket | TLSSocket =
      options.tls === 'implicit'
        ? tlsConnect(
            {
              host: options.host,
              port: options.port,
              servername: options.host,
              rejectUnauthorized: options.rejectUnauthorized,
            },
            () => done(),
          )
        : netConnect({ host: options.host, port: options.port }, () => done());
    socket.once('error', (err) => done(err));
  });
}
