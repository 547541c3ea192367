// Section 3: peak RSS of `postroom ingest FILE --process` (a child process) on one very large mail,
// against the same command on a tiny mail.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { mainTs, runCli, tempDir, writeConfig } from '../support/engine.ts';
import { writeBigMail } from './corpus.ts';

export interface IngestRun {
  /** peak resident set size of the node process, MB (MiB) */
  peakRssMb: number;
  seconds: number;
  exitCode: number | null;
  state: string;
  attachments: number;
  how: string;
}

export interface BigMailFigures {
  fileMb: number;
  attachmentMb: number;
  writeSeconds: number;
  big: IngestRun;
  tiny: IngestRun;
}

const timeBinary = '/usr/bin/time';
const MB = 1024 * 1024;

/** Polls /proc/PID/status for VmHWM (the kernel's own peak RSS) until the process exits. */
function pollPeak(pid: number): { stop(): number } {
  let peakKb = 0;
  const read = (): void => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // gone
    }
  };
  const timer = setInterval(read, 20);
  return {
    stop() {
      clearInterval(timer);
      return peakKb;
    },
  };
}

/**
 * Runs `node src/main.ts -c CONFIG ingest FILE --process` and reports its peak RSS: from GNU time's
 * %M (ru_maxrss of the child) where /usr/bin/time exists, else (or with BENCH_RSS_METHOD=proc) from
 * polling VmHWM.
 */
async function ingestAndMeasure(dir: string, config: string, file: string): Promise<IngestRun> {
  const useTime = existsSync(timeBinary) && process.env['BENCH_RSS_METHOD'] !== 'proc';
  const timeOut = join(dir, 'time.out');
  const args = [mainTs, '-c', config, 'ingest', file, '--process'];
  const start = performance.now();
  const child = useTime
    ? spawn(timeBinary, ['-f', '%M', '-o', timeOut, process.execPath, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const poll = useTime ? null : pollPeak(child.pid ?? 0);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => {
    // Under /usr/bin/time the node process is time's child: stop it by its PID first.
    for (const pid of childPids(child.pid)) process.kill(pid, 'SIGKILL');
    child.kill('SIGKILL');
  }, 10 * 60_000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  const seconds = (performance.now() - start) / 1000;
  const peakKb = useTime ? Number(readFileSync(timeOut, 'utf8').trim().split('\n').pop()) : (poll?.stop() ?? 0);
  if (exitCode !== 0) process.stdout.write(`  ingest exited with ${exitCode}:\n${output}\n`);

  const listed = await runCli(['-c', config, 'messages', 'list', '--json'], { cwd: dir });
  const [message] = JSON.parse(listed.stdout || '[]') as { id: number; state: string }[];
  let attachments = 0;
  if (message) {
    const shown = await runCli(['-c', config, 'messages', 'show', String(message.id), '--json'], { cwd: dir });
    attachments = ((JSON.parse(shown.stdout || '{}') as { attachments?: unknown[] }).attachments ?? []).length;
  }
  return {
    peakRssMb: peakKb / 1024,
    seconds,
    exitCode,
    state: message?.state ?? '(none)',
    attachments,
    how: useTime ? '/usr/bin/time %M' : '/proc VmHWM polling',
  };
}

function tinyMail(): string {
  return [
    'From: Tiny Sender <tiny@example.com>',
    'To: support@localhost',
    'Subject: Tiny mail',
    `Message-ID: <tiny.${Date.now()}@example.com>`,
    'Date: Mon, 06 Jan 2025 08:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello, a short question.',
    '',
  ].join('\r\n');
}

/** Generates the big mail on disk (streaming), ingests and processes it, then the tiny baseline. */
export async function measureBigMail(attachmentMb: number): Promise<BigMailFigures> {
  const dir = tempDir('postroom-bench-big-');
  try {
    // Default limits (messageSize 300MB, attachmentsTotalSize 250MB) unless the mail needs more.
    const needMb = Math.ceil(attachmentMb * 1.4) + 16;
    const limits = needMb > 300 ? `limits: { messageSize: ${needMb}MB, attachmentsTotalSize: ${Math.ceil(attachmentMb) + 16}MB }` : '';
    const config = (name: string): string => {
      const sub = join(dir, name);
      mkdirSync(sub);
      return writeConfig(sub, [`dataDir: ${join(sub, 'data')}`, 'log: { level: info }', limits].join('\n'));
    };
    // One config per run, so the tiny mail is measured on an empty store as well.
    const bigConfig = config('big');
    const bigFile = join(dir, 'big.eml');
    const writeStart = performance.now();
    await writeBigMail(bigFile, Math.round(attachmentMb * MB));
    const writeSeconds = (performance.now() - writeStart) / 1000;
    const fileMb = statSync(bigFile).size / MB;
    const big = await ingestAndMeasure(dir, bigConfig, bigFile);
    rmSync(bigFile, { force: true });
    rmSync(join(dir, 'big'), { recursive: true, force: true });

    const tinyConfig = config('tiny');
    const tinyFile = join(dir, 'tiny.eml');
    writeFileSync(tinyFile, tinyMail());
    const tiny = await ingestAndMeasure(dir, tinyConfig, tinyFile);
    return { fileMb, attachmentMb, writeSeconds, big, tiny };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
