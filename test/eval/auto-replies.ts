// Scorer for the auto-reply, challenge and mailing-list detectors, measured through `decideRaw`
// (what `postroom decide` prints): report.class, report.autoReply, report.list. Corpora: sisimai's
// set-of-emails (test/corpora/bounces), Mail::DeliveryStatus::BounceParser's tests and Discourse's
// receiver fixtures (../shared/corpora, GPL); person-to-person mail from the reply-trimming bodies,
// zammad-mime-parse and mime4j-structure.
//
// A message counts as "called auto_reply" when report.class is auto_reply. Bounces are another
// engineer's: they are negatives here and only their being called auto_reply (or challenge) counts.
// Discourse labels Precedence: list mail "auto-generated"; Postroom's contract flags list mail
// (report.list) instead of calling it an auto-reply, so for Discourse's auto-generated cases a hit
// is auto_reply or list, and such a list hit is left out of the auto-reply precision/recall.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDecideSandbox } from '../../src/decide-sandbox.ts';
import { decideRaw } from '../../src/decide/decide-raw.ts';
import { corpusDir } from './corpus-dir.ts';
import { count, row, skippedRows, type EvalRow, type Row } from './eval-row.ts';

interface Verdict {
  class: string;
  list: boolean;
}
type Classify = (raw: Buffer, file: string) => Promise<Verdict>;

/** The auto-reply confusion counts over every labelled corpus, for precision/recall/F1. */
interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  fpFiles: string[];
  fnFiles: string[];
}




function score(c: Confusion, file: string, expected: boolean, called: boolean, got: string): void {
  if (expected && called) c.tp += 1;
  else if (expected) {
    c.fn += 1;
    c.fnFiles.push(`${file}: ${got}`);
  } else if (called) {
    c.fp += 1;
    c.fpFiles.push(file);
  }
}

export async function evaluate(): Promise<EvalRow[]> {
  const sandbox = await openDecideSandbox();
  const classify: Classify = async (raw, file) => {
    const report = await decideRaw(raw, { ...sandbox.options, file });
    return { class: report.class, list: report.list };
  };
  const confusion: Confusion = { tp: 0, fp: 0, fn: 0, fpFiles: [], fnFiles: [] };
  const challenges = row('challenge (bounceparser-perl)', 'challenge detected', null);
  const falseChallenges = row('challenge (all labelled corpora)', 'non-challenge not called challenge', 1);
  try {
    const rows = [
      ...(await sisimai(classify, confusion, falseChallenges)),
      ...(await bounceParser(classify, confusion, challenges, falseChallenges)),
      ...(await discourse(classify, confusion, falseChallenges)),
    ];
    return [...rows, ...totals(confusion), challenges, falseChallenges, ...(await personToPerson(classify))];
  } finally {
    await sandbox.close();
  }
}

async function sisimai(classify: Classify, confusion: Confusion, falseChallenges: Row): Promise<EvalRow[]> {
  const corpus = 'auto-replies (sisimai bounces)';
  const dir = corpusDir('bounces');
  if (!dir)
    return skippedRows(
      corpus,
      ['auto_reply recall', 'others not called auto_reply'],
      'corpus absent: test/corpora/bounces',
    );
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
    string,
    { kind: string }
  >;
  const recall = row(corpus, 'auto_reply recall', 0.99);
  const negatives = row(corpus, 'others not called auto_reply', 0.99);
  for (const [file, exp] of Object.entries(expected)) {
    const got = await classify(readFileSync(join(dir, 'emails', file)), file);
    const positive = exp.kind === 'auto_reply';
    const called = got.class === 'auto_reply';
    count(positive ? recall : negatives, positive === called, file, `${exp.kind} → ${got.class}`);
    score(confusion, file, positive, called, got.class);
    count(falseChallenges, got.class !== 'challenge', file, `${exp.kind} → challenge`);
  }
  return [recall, negatives];
}

interface BounceParserCase {
  file: string;
  expected: { kind: string };
}

async function bounceParser(
  classify: Classify,
  confusion: Confusion,
  challenges: Row,
  falseChallenges: Row,
): Promise<EvalRow[]> {
  const corpus = 'auto-replies (bounceparser-perl)';
  const dir = corpusDir('bounceparser-perl');
  const metrics = ['auto_reply recall', 'others not called auto_reply'];
  if (!dir) {
    challenges.skipped = 'corpus absent: ../shared/corpora/bounceparser-perl';
    return skippedRows(corpus, metrics, 'corpus absent: ../shared/corpora/bounceparser-perl');
  }
  const { cases } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
    cases: BounceParserCase[];
  };
  const recall = row(corpus, 'auto_reply recall', 0.99);
  const negatives = row(corpus, 'others not called auto_reply', 0.99);
  for (const c of cases) {
    const got = await classify(readFileSync(join(dir, c.file)), c.file);
    const positive = c.expected.kind === 'auto_reply';
    const called = got.class === 'auto_reply';
    count(positive ? recall : negatives, positive === called, c.file, `${c.expected.kind} → ${got.class}`);
    score(confusion, c.file, positive, called, got.class);
    if (c.expected.kind === 'challenge_response')
      count(challenges, got.class === 'challenge', c.file, got.class);
    else count(falseChallenges, got.class !== 'challenge', c.file, `${c.expected.kind} → challenge`);
  }
  return [recall, negatives];
}

interface DiscourseCase {
  file: string;
  expected: { kind: string };
}

async function discourse(classify: Classify, confusion: Confusion, falseChallenges: Row): Promise<EvalRow[]> {
  const corpus = 'auto-replies (discourse-receiver)';
  const dir = corpusDir('discourse-receiver');
  const metrics = ['auto-generated flagged (auto_reply or list)', 'others not called auto_reply'];
  if (!dir) return skippedRows(corpus, metrics, 'corpus absent: ../shared/corpora/discourse-receiver');
  const { cases } = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
    cases: DiscourseCase[];
  };
  const flagged = row(corpus, 'auto-generated flagged (auto_reply or list)', 1);
  const negatives = row(corpus, 'others not called auto_reply', 1);
  for (const c of cases) {
    const got = await classify(readFileSync(join(dir, c.file)), c.file);
    const positive = c.expected.kind === 'auto_generated';
    const called = got.class === 'auto_reply';
    if (positive) {
      count(flagged, called || got.list, c.file, `${got.class}${got.list ? ', list' : ''}`);
      // list-flagged auto-generated mail is right by Postroom's contract, but not an auto-reply
      if (!called && got.list) continue;
    } else count(negatives, !called, c.file, got.class);
    score(confusion, c.file, positive, called, got.class);
    count(falseChallenges, got.class !== 'challenge', c.file, `${c.expected.kind} → challenge`);
  }
  return [flagged, negatives];
}

/**
 * Precision, recall and F1 over the three labelled corpora together. F1 is not a share of
 * messages, so its row reports round(F1 × 1000) out of 1000.
 */
function totals(c: Confusion): EvalRow[] {
  const corpus = 'auto-replies (all labelled corpora)';
  const precision = c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return [
    {
      corpus,
      metric: 'auto-reply precision',
      hits: c.tp,
      total: c.tp + c.fp,
      target: 0.99,
      misses: c.fpFiles,
    },
    { corpus, metric: 'auto-reply recall', hits: c.tp, total: c.tp + c.fn, target: 0.99, misses: c.fnFiles },
    {
      corpus,
      metric: 'auto-reply F1 (×1000)',
      hits: Math.round(f1 * 1000),
      total: 1000,
      target: 0.99,
      misses: [...c.fpFiles, ...c.fnFiles],
    },
  ];
}

/** A body from the reply-trimming corpus as a person's reply would arrive. */
function wrapBody(body: string, n: number): Buffer {
  const head = [
    'From: Alice Example <alice@example.com>',
    'To: Support <support@example.org>',
    'Subject: Re: question',
    'Date: Mon, 3 Mar 2025 10:00:00 +0000',
    `Message-ID: <reply-${n}@example.com>`,
    'In-Reply-To: <question@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`, 'utf8');
}

/**
 * The zammad and mime4j corpora hold some machine mail beside people's: DSNs (multipart/report)
 * and mail whose sender declares itself automatic with RFC 3834 Auto-Submitted. Those are not
 * person-to-person and are left out; everything else (spam and newsletters included) stays.
 */
function isDeclaredMachineMail(raw: Buffer): boolean {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return /^content-type:\s*multipart\/report\b/im.test(head) || /^auto-submitted:\s*(?!no\b)\S/im.test(head);
}

async function personToPerson(classify: Classify): Promise<EvalRow[]> {
  const corpus = 'person-to-person mail';
  const metric = 'not called auto_reply/challenge';
  const rows: Row[] = [];
  const judge = async (r: Row, raw: Buffer, file: string): Promise<void> => {
    const got = await classify(raw, file);
    count(r, got.class !== 'auto_reply' && got.class !== 'challenge', file, got.class);
  };

  const trimming = corpusDir('reply-trimming');
  if (!trimming)
    rows.push({
      ...row(`${corpus} (reply-trimming)`, metric, 1),
      skipped: 'corpus absent: test/corpora/reply-trimming',
    });
  else {
    const r = row(`${corpus} (reply-trimming)`, metric, 1);
    const files = readdirSync(join(trimming, 'emails'))
      .filter((f) => f.endsWith('.txt'))
      .sort();
    for (const [i, file] of files.entries())
      await judge(r, wrapBody(readFileSync(join(trimming, 'emails', file), 'utf8'), i), file);
    rows.push(r);
  }

  for (const name of ['zammad-mime-parse', 'mime4j-structure']) {
    const dir = corpusDir(name);
    const label = `${corpus} (${name})`;
    if (!dir) {
      rows.push({ ...row(label, metric, 1), skipped: `corpus absent: ${name}` });
      continue;
    }
    const r = row(label, metric, 1);
    for (const file of readdirSync(join(dir, 'emails')).sort()) {
      const raw = readFileSync(join(dir, 'emails', file));
      if (isDeclaredMachineMail(raw)) continue;
      await judge(r, raw, file);
    }
    rows.push(r);
  }
  return rows;
}
