// Section 2: SMTP intake rate against a real `postroom start` child process, with the engine's
// runners processing concurrently as they do in production.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import {
  freePort,
  startEngine,
  tempDir,
  writeConfig,
  type EngineProcess,
  stopOrKill,
} from '../support/engine.ts';
import type { Corpus } from './corpus.ts';

export interface SmtpFigures {
  clients: number;
  mails: number;
  accepted: number;
  seconds: number;
  /** mails answered 250 per second */
  rate: number;
  /** messages the engine had finished processing when the last 250 arrived */
  processedDuringIntake: number;
  /** from the first MAIL FROM until the engine had processed every mail */
  endToEndSeconds: number;
  /** CPU of the engine process while the clients were sending (1.0 = one core) */
  engineCores: number | null;
}

/** `count` SMTP clients of the listener on `port`, each one connection sending one mail after the other. */
export function smtpClients(port: number, count: number) {
  return Array.from({ length: count }, () =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 1,
      maxMessages: Infinity,
    }),
  );
}

/** Counts "message decided" log lines of the engine as they arrive. */
export function decidedCounter(engine: EngineProcess): { count(): number } {
  let count = 0;
  let tail = '';
  engine.child.stdout?.on('data', (chunk: Buffer) => {
    const text = tail + chunk.toString('utf8');
    const lines = text.split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) if (line.includes('"msg":"message decided"')) count += 1;
  });
  return { count: () => count };
}

/** utime + stime of a process in clock ticks (Linux), or null elsewhere. */
export async function cpuTicks(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/**
 * Starts a fresh engine (default runner settings: 2 workers × concurrency 4), sends every mail
 * of `corpus` over `clients` concurrent SMTP connections (each one mail after the other), and
 * waits until the engine has processed them all.
 */
export async function measureSmtp(corpus: Corpus, clients: number): Promise<SmtpFigures> {
  const dir = tempDir('postroom-bench-smtp-');
  let engine: EngineProcess | undefined;
  try {
    const port = await freePort();
    const config = writeConfig(
      dir,
      [
        `dataDir: ${join(dir, 'data')}`,
        'log: { level: info }',
        `smtp: { host: 127.0.0.1, port: ${port} }`,
        `mailboxes: [{ address: ${corpus.to}, recordType: CASE }]`,
      ].join('\n'),
    );
    engine = await startEngine({ cwd: dir, config, port });
    const decided = decidedCounter(engine);
    const transports = smtpClients(port, clients);
    let accepted = 0;
    const failures: string[] = [];
    const ticksBefore = await cpuTicks(engine.child.pid);
    const start = performance.now();
    let next = 0;
    await Promise.all(
      transports.map(async (transport) => {
        while (next < corpus.mails.length) {
          const i = next;
          next += 1;
          try {
            const info = await transport.sendMail({
              envelope: { from: corpus.senders[i] ?? 'bench@example.com', to: [corpus.to] },
              raw: corpus.mails[i] as Buffer,
            });
            if (/^250[ -]/.test(info.response)) accepted += 1;
            else failures.push(info.response);
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const ticksAfter = await cpuTicks(engine.child.pid);
    const processedDuringIntake = decided.count();
    for (const transport of transports) transport.close();
    if (failures.length > 0)
      process.stdout.write(`  ${failures.length} mail(s) not accepted, first: ${failures[0]}\n`);

    const deadline = Date.now() + 10 * 60_000;
    while (decided.count() < accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const endToEndSeconds = (performance.now() - start) / 1000;
    const ticks = ticksBefore !== null && ticksAfter !== null ? ticksAfter - ticksBefore : null;
    return {
      clients,
      mails: corpus.mails.length,
      accepted,
      seconds,
      rate: accepted / seconds,
      processedDuringIntake,
      endToEndSeconds,
      // Linux reports 100 clock ticks per second.
      engineCores: ticks === null ? null : ticks / 100 / seconds,
    };
  } finally {
    await stopOrKill(engine);
    rmSync(dir, { recursive: true, force: true });
  }
}
