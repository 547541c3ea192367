// Screening and categorizing cost: decide (parse → screen → categorize → route, over an empty
// in-memory store) against parse alone on the same mails, in alternating rounds so that machine
// noise hits both sides alike; and decide throughput over every corpus mail with expected results.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openDecideSandbox } from '../../src/decide-sandbox.ts';
import { decideRaw } from '../../src/decide/decide-raw.ts';
import { parseMessage } from '../../src/decide/parse/parse-message.ts';
import { MemoryBlobStore } from '../../src/store/blobs/memory-blobs.ts';
import { corpusDir } from '../eval/corpus-dir.ts';

export interface ScreeningFigures {
  mails: number;
  parseMsPerMail: number;
  decideMsPerMail: number;
  /** decide / parse: what screening, categorizing and routing add on top of parsing */
  ratio: number;
  corpus: { mails: number; seconds: number; rate: number; folders: string[]; skipped: string[] };
}

const corpora = ['bounces', 'bounceparser-perl', 'discourse-receiver', 'james-mdn', 'mime4j-structure', 'zammad-mime-parse'];

export async function measureScreening(mails: readonly Buffer[], rounds = 3): Promise<ScreeningFigures> {
  const sandbox = await openDecideSandbox();
  try {
    const limits = sandbox.options.limits;
    const parseOnce = async (): Promise<number> => {
      const start = performance.now();
      for (const raw of mails) {
        const blobs = new MemoryBlobStore();
        const blob = await blobs.put(Readable.from([raw]));
        await parseMessage(blobs, blob.sha256, limits);
      }
      return performance.now() - start;
    };
    const decideOnce = async (): Promise<number> => {
      const start = performance.now();
      for (const raw of mails) await decideRaw(raw, sandbox.options);
      return performance.now() - start;
    };
    await parseOnce(); // warm-up: JIT and module loading count for neither side
    await decideOnce();
    const parseTimes: number[] = [];
    const decideTimes: number[] = [];
    for (let i = 0; i < rounds; i++) {
      parseTimes.push(await parseOnce());
      decideTimes.push(await decideOnce());
    }
    const parseMs = median(parseTimes) / mails.length;
    const decideMs = median(decideTimes) / mails.length;

    const files: string[] = [];
    const found: string[] = [];
    const skipped: string[] = [];
    for (const name of corpora) {
      const dir = corpusDir(name);
      if (!dir) {
        skipped.push(name);
        continue;
      }
      found.push(name);
      files.push(...emlFiles(join(dir, 'emails')));
    }
    const raws = files.map((f) => readFileSync(f));
    const start = performance.now();
    for (const raw of raws) await decideRaw(raw, sandbox.options);
    const seconds = (performance.now() - start) / 1000;
    return {
      mails: mails.length,
      parseMsPerMail: parseMs,
      decideMsPerMail: decideMs,
      ratio: decideMs / parseMs,
      corpus: { mails: raws.length, seconds, rate: raws.length / seconds, folders: found, skipped },
    };
  } finally {
    await sandbox.close();
  }
}

function emlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...emlFiles(full));
    else out.push(full);
  }
  return out;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
