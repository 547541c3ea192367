// Section 13: intake by HTTP upload (POST /api/v1/mail) against SMTP intake, into one running
// `postroom start`, the same number of mails and concurrent clients; and the cost of a /metrics
// scrape against the bare status read it is built from (GET /api/v1/status), on the same store.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  freePort,
  startEngine,
  tempDir,
  writeConfig,
  type EngineProcess,
  stopOrKill,
} from '../support/engine.ts';
import type { Corpus } from './corpus.ts';
import { decidedCounter, smtpClients } from './smtp.ts';
import { median } from './stats.ts';

export interface HttpFigures {
  clients: number;
  mails: number;
  /** mails answered 250 per second, and 201 per second */
  smtpRate: number;
  httpRate: number;
  httpAccepted: number;
  /** median ms of a scrape, and of the status read alone, at the end (all mails stored) */
  metricsMs: number;
  statusMs: number;
}

const TOKEN = 'bench-token-0123456789abcdef';

/** Sends `corpus` by SMTP, then `second` by HTTP upload, each over `clients` concurrent connections. */
export async function measureHttpIntake(
  corpus: Corpus,
  second: Corpus,
  clients: number,
): Promise<HttpFigures> {
  const dir = tempDir('postroom-bench-http-');
  let engine: EngineProcess | undefined;
  try {
    const port = await freePort();
    const httpPort = await freePort();
    const config = writeConfig(
      dir,
      [
        `dataDir: ${join(dir, 'data')}`,
        'log: { level: info }',
        `smtp: { host: 127.0.0.1, port: ${port} }`,
        `http: { enabled: true, port: ${httpPort}, token: ${TOKEN} }`,
        `mailboxes: [{ address: ${corpus.to}, recordType: CASE }]`,
      ].join('\n'),
    );
    engine = await startEngine({ cwd: dir, config, port });
    const decided = decidedCounter(engine);
    const base = `http://127.0.0.1:${httpPort}`;
    const auth = { authorization: `Bearer ${TOKEN}` };

    const drain = async (count: number): Promise<void> => {
      const deadline = Date.now() + 10 * 60_000;
      while (decided.count() < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    const inParallel = async (
      send: (i: number, client: number) => Promise<boolean>,
      total: number,
    ): Promise<{ ok: number; seconds: number }> => {
      let next = 0;
      let ok = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async (_, client) => {
          while (next < total) {
            const i = next;
            next += 1;
            if (await send(i, client)) ok += 1;
          }
        }),
      );
      return { ok, seconds: (performance.now() - start) / 1000 };
    };

    const transports = smtpClients(port, clients);
    const smtp = await inParallel(async (i, client) => {
      const info = await transports[client]!.sendMail({
        envelope: { from: corpus.senders[i] ?? 'bench@example.com', to: [corpus.to] },
        raw: corpus.mails[i] as Buffer,
      });
      return /^250[ -]/.test(info.response);
    }, corpus.mails.length);
    for (const t of transports) t.close();
    await drain(smtp.ok);

    // fetch keeps connections alive (undici's pool), as an HTTP client in production would.
    const http = await inParallel(async (i) => {
      const res = await fetch(`${base}/api/v1/mail`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'message/rfc822' },
        body: second.mails[i] as Buffer,
      });
      await res.arrayBuffer();
      return res.status === 201;
    }, second.mails.length);
    await drain(smtp.ok + http.ok);

    const timed = async (path: string): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 21; i += 1) {
        const start = performance.now();
        const res = await fetch(`${base}${path}`, { headers: auth });
        await res.text();
        if (!res.ok) throw new Error(`${path}: ${res.status}`);
        times.push(performance.now() - start);
      }
      return median(times);
    };
    // Alternated so drift in the machine's load hits both alike.
    const metrics: number[] = [];
    const status: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      metrics.push(await timed('/metrics'));
      status.push(await timed('/api/v1/status'));
    }
    return {
      clients,
      mails: corpus.mails.length,
      smtpRate: smtp.ok / smtp.seconds,
      httpRate: http.ok / http.seconds,
      httpAccepted: http.ok,
      metricsMs: median(metrics),
      statusMs: median(status),
    };
  } finally {
    await stopOrKill(engine);
    rmSync(dir, { recursive: true, force: true });
  }
}
