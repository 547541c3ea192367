// Scorer for reply trimming and forwarded-message extraction, measured through `decideRaw` (what
// `postroom decide` prints): report.replyText, report.removedText, report.forwarded.
//
// reply-trimming (discourse/email_reply_trimmer, MIT): each emails/NAME.txt is a bare body; it is
// wrapped in a minimal RFC 5322 header (text/plain, UTF-8, 8bit, subject "Re: corpus message")
// so it goes through the parser like any mail. replyText is compared with trimmed/NAME.txt and
// removedText with elided/NAME.txt after normalizing line endings, trailing whitespace on each
// line and blank lines at the start and end; nothing else.
//
// discourse-receiver (GPL, ../shared/corpora): the four forward styles (original sender address
// and name, original subject, the forwarder's note) and the reply_text / elided_text cases of
// Discourse's receiver spec, compared the same way.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDecideSandbox } from '../../src/decide-sandbox.ts';
import { decideRaw, type DecideReport } from '../../src/decide/decide-raw.ts';
import { corpusDir } from './corpus-dir.ts';
import { count, row, type EvalRow, type Row } from './eval-row.ts';




/** Line endings, trailing whitespace per line, blank lines at both ends: the only differences forgiven. */
export function normalize(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/\s+$/u, ''))
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}

const clip = (s: string): string => JSON.stringify(s.length > 160 ? `${s.slice(0, 160)}…` : s);

/** A bare body as a mail: the parser, not the scorer, decides what the text is. */
function wrapBody(body: Buffer, name: string): Buffer {
  const head = [
    'From: Corpus Sender <sender@example.org>',
    'To: Postroom <postroom@localhost>',
    'Subject: Re: corpus message',
    'Date: Mon, 1 Feb 2016 12:00:00 +0000',
    `Message-ID: <${name.replace(/[^\w.-]/g, '_')}@corpus.example.org>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head), body]);
}

interface DiscourseCase {
  file: string;
  expected: {
    kind: string;
    original_from?: string;
    original_from_name?: string;
    original_subject?: string;
    forwarder_comment?: string;
    reply_text?: string;
    elided_text?: string;
  };
}

export async function evaluate(): Promise<EvalRow[]> {
  const sandbox = await openDecideSandbox();
  const decide = (raw: Buffer, file: string): Promise<DecideReport> =>
    decideRaw(raw, { ...sandbox.options, file });
  try {
    return [...(await replyTrimming(decide)), ...(await discourseReceiver(decide))];
  } finally {
    await sandbox.close();
  }
}

type Decide = (raw: Buffer, file: string) => Promise<DecideReport>;

async function replyTrimming(decide: Decide): Promise<EvalRow[]> {
  const corpus = 'reply-trimming (email_reply_trimmer)';
  const dir = corpusDir('reply-trimming');
  if (!dir)
    return ['reply text exact', 'removed text exact (elided/)'].map((metric) => ({
      corpus,
      metric,
      hits: 0,
      total: 0,
      target: null,
      skipped: 'test/corpora/reply-trimming not found',
    }));
  const text = row(corpus, 'reply text exact', 0.95);
  const elided = row(corpus, 'removed text exact (elided/)', null);
  for (const name of readdirSync(join(dir, 'emails')).sort()) {
    const report = await decide(wrapBody(readFileSync(join(dir, 'emails', name)), name), name);
    const expected = readFileSync(join(dir, 'trimmed', name), 'utf8');
    count(text, normalize(report.replyText) === normalize(expected), name, `got ${clip(report.replyText)}`);
    const elidedFile = join(dir, 'elided', name);
    if (existsSync(elidedFile)) {
      const want = readFileSync(elidedFile, 'utf8');
      count(
        elided,
        normalize(report.removedText) === normalize(want),
        name,
        `got ${clip(report.removedText)}`,
      );
    }
  }
  return [text, elided];
}

async function discourseReceiver(decide: Decide): Promise<EvalRow[]> {
  const corpus = 'discourse-receiver';
  const metrics = [
    'forward: original sender',
    'forward: original subject',
    'forward: forwarder note',
    'reply text exact',
    'removed text exact',
  ];
  const dir = corpusDir('discourse-receiver');
  if (!dir)
    return metrics.map((metric) => ({
      corpus,
      metric,
      hits: 0,
      total: 0,
      target: null,
      skipped: '../shared/corpora/discourse-receiver not found (GPL corpus kept outside the tree)',
    }));
  const cases = (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases: DiscourseCase[] })
    .cases;
  const [sender, subject, note, reply, removed] = metrics.map((m) => row(corpus, m, null)) as [
    Row,
    Row,
    Row,
    Row,
    Row,
  ];
  for (const c of cases) {
    const e = c.expected;
    const wantsForward = e.kind === 'forward';
    if (!wantsForward && e.reply_text === undefined) continue;
    const report = await decide(readFileSync(join(dir, c.file)), c.file);
    const f = report.forwarded;
    if (wantsForward) {
      const got = f?.from ? `${f.from.name} <${f.from.address}>` : 'no forwarded sender';
      const senderHit =
        f?.from?.address === e.original_from?.toLowerCase() &&
        (e.original_from_name === undefined || f?.from?.name === e.original_from_name);
      count(sender, senderHit, c.file, got);
      if (e.original_subject !== undefined)
        count(subject, f?.subject === e.original_subject, c.file, `got ${clip(f?.subject ?? 'null')}`);
      if (e.forwarder_comment !== undefined)
        count(
          note,
          normalize(f?.note ?? '') === normalize(e.forwarder_comment),
          c.file,
          `got ${clip(f?.note ?? 'null')}`,
        );
    }
    if (e.reply_text !== undefined)
      count(
        reply,
        normalize(report.replyText) === normalize(e.reply_text),
        c.file,
        `got ${clip(report.replyText)}`,
      );
    if (e.elided_text !== undefined)
      count(
        removed,
        normalize(report.removedText) === normalize(e.elided_text),
        c.file,
        `got ${clip(report.removedText)}`,
      );
  }
  return [sender, subject, note, reply, removed];
}

// `node test/eval/replies.ts` prints this scorer's rows alone.
if (import.meta.main) {
  for (const r of await evaluate()) {
    const share = r.total ? ((100 * r.hits) / r.total).toFixed(1) : '-';
    console.log(`${r.corpus} | ${r.metric} | ${r.skipped ?? `${r.hits}/${r.total} (${share} %)`}`);
    for (const m of r.misses ?? []) console.log(`    miss ${m}`);
  }
}
