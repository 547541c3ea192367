// Scorer for zammad-mime-parse: real mail with odd charsets, broken headers, uuencode and
// attachments, with Zammad's parse result as the expectation. Everything is read from
// `decideRaw` (what `postroom decide` prints); attachment bytes, which the report does not
// carry, are looked up by their sha256 in a second parse of the same raw bytes.
import { createHash } from 'node:crypto';
import { decodeHTML } from 'entities';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDecideSandbox } from '../../src/decide-sandbox.ts';
import { decideRaw, type DecideReport } from '../../src/decide/decide-raw.ts';
import { corpusDir } from './corpus-dir.ts';
import { attachmentBytes } from './attachment-bytes.ts';
import type { EvalRow } from './eval-row.ts';

const corpus = 'charsets (zammad)';

interface ExpectedAttachment {
  filename: string;
  content_type: string;
  size: number;
  md5: string;
  md5_matches_transfer_decoded_part: boolean;
}
interface ExpectedCase {
  file: string;
  expected: {
    from_email: string;
    from_display_name: string;
    to: string;
    cc?: string | null;
    subject: string;
    body_content_type: string;
    body_zammad: string;
    attachments: ExpectedAttachment[];
  };
}

export async function evaluate(): Promise<EvalRow[]> {
  const dir = corpusDir('zammad-mime-parse');
  const metrics = [
    'subject exact',
    'from address and name exact',
    'to/cc addresses',
    'body text match',
    'attachments match (name, size, md5)',
  ];
  if (!dir) {
    const skipped = 'corpus absent: ../shared/corpora/zammad-mime-parse (AGPL, kept outside the tree)';
    return metrics.map((metric) => ({ corpus, metric, hits: 0, total: 0, target: null, skipped }));
  }
  const cases = (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases: ExpectedCase[] })
    .cases;
  const rows = metrics.map((metric): EvalRow & { misses: string[] } => ({
    corpus,
    metric,
    hits: 0,
    total: 0,
    // The issue sets no target for charset decoding: reported. The remaining misses are cases
    // where Zammad's expectation itself is wrong (undecoded UTF-7, cp1258 read as cp1250).
    target: null,
    misses: [],
  }));
  const [subjectRow, fromRow, addrRow, bodyRow, attRow] = rows as [
    (typeof rows)[0],
    (typeof rows)[0],
    (typeof rows)[0],
    (typeof rows)[0],
    (typeof rows)[0],
  ];
  const score = (row: (typeof rows)[0], ok: boolean, miss: string): void => {
    row.total += 1;
    if (ok) row.hits += 1;
    else row.misses.push(miss);
  };

  const sandbox = await openDecideSandbox();
  try {
    for (const { file, expected: e } of cases) {
      const raw = readFileSync(join(dir, file));
      const report = await decideRaw(raw, { ...sandbox.options, file });
      const bytes = await attachmentBytes(raw, sandbox.options.limits);

      score(subjectRow, report.subject === e.subject, `${file}: ${JSON.stringify(report.subject)}`);

      // Zammad keeps the quotes of a From that is only a quoted string ("a@b"); they are no
      // part of the address
      const fromOk =
        report.from !== null &&
        report.from.address === e.from_email.replace(/^"(.*)"$/, '$1').toLowerCase() &&
        report.from.name === e.from_display_name;
      score(fromRow, fromOk, `${file}: ${JSON.stringify(report.from)}`);

      // as sets: Zammad's header strings sometimes repeat the address as the display name
      const want = [...new Set([...emailsIn(e.to), ...emailsIn(e.cc ?? '')])].sort();
      const got = [...new Set([...report.to, ...report.cc].map((a) => a.address))].sort();
      score(addrRow, want.join(' ') === got.join(' '), `${file}: ${got.join(' ')} (want ${want.join(' ')})`);

      score(bodyRow, bodyMatches(report, e.body_zammad), `${file}: ${normalize(report.text).slice(0, 80)}`);

      for (const a of e.attachments) {
        // Only attachments that are a real leaf of the mail count (the corpus marks them).
        // Zammad also files an HTML body as a "message.html" attachment; that is the body,
        // which the body row measures, and the engine keeps it in `html`.
        if (!a.md5_matches_transfer_decoded_part) continue;
        if (a.filename === 'message.html' && a.content_type.startsWith('text/html')) continue;
        const found = report.attachments.some((ours) => {
          const b = bytes.get(ours.sha256);
          return b !== undefined && ours.filename === a.filename && b.length === a.size && md5(b) === a.md5;
        });
        score(
          attRow,
          found,
          `${file}: ${a.filename} (${a.size} B) not among ${report.attachments.map((x) => `${x.filename} ${x.size} B`).join(', ')}`,
        );
      }
    }
  } finally {
    await sandbox.close();
  }
  return rows;
}


/**
 * Zammad's body is its own sanitised HTML (or text), so compare loosely: both sides with tags
 * removed, entities decoded and all whitespace dropped; Zammad's body must be contained in the
 * engine's text or in its HTML (sanitising only ever removes). An empty body must be empty.
 */
function bodyMatches(report: DecideReport, expected: string): boolean {
  // Zammad writes this placeholder for a mail without a readable body
  const want = expected.trim() === 'no visible content' ? '' : squeeze(expected);
  if (want === '') return squeeze(report.text) === '' || squeeze(report.html ?? '') === '';
  return squeeze(report.text).includes(want) || squeeze(report.html ?? '').includes(want);
}

/**
 * normalize() without any whitespace (where a sanitiser joined or split tags, spaces differ), and
 * with &lang;/&rang; folded: HTML 4 (Zammad) and HTML 5 (our decoder) map them to different
 * code points.
 */
function squeeze(s: string): string {
  return normalize(s)
    .replace(/\s/g, '')
    .replace(/[\u2329\u3008]/g, '\u27e8')
    .replace(/[\u232a\u3009]/g, '\u27e9');
}

export function normalize(s: string): string {
  return decodeHTML(
    s
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<[^>]*>/g, ' '),
  )
    .replace(/\s+/g, ' ')
    .trim();
}

function emailsIn(header: string): string[] {
  return (header.match(/[^\s<>",;:()']+@[^\s<>",;:()']+/g) ?? []).map((a) => a.toLowerCase());
}

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}
