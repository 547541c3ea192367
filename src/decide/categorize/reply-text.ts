import type { ParsedMessage } from '../../core/plan.ts';
import { textFromHtml } from '../parse/html-text.ts';
import { htmlReplyText } from './html-reply.ts';
import { isAttribution, isHeaderField, wrappableAttributionGroups } from './quote-headers.ts';
import { isDelimiter, isMobileTagline } from './signature.ts';

export interface TrimmedReply {
  /** the new text of the mail */
  replyText: string;
  /** what was cut: quoted history, attribution lines, signature */
  removedText: string;
}

/**
 * The new text of a mail: quoted history and signature removed, and what was removed.
 * HTML-only mail is read from its HTML, where clients mark the quoted part with elements
 * (gmail_quote, blockquote, divRplyFwdMsg …) that the converted text no longer shows.
 */
export function trimReply(parsed: ParsedMessage): TrimmedReply {
  if (parsed.html !== null && isHtmlOnly(parsed)) {
    const fromHtml = htmlReplyText(parsed.html);
    if (fromHtml !== null) {
      const trimmed = trimReplyText(fromHtml.keptText);
      return {
        replyText: trimmed.replyText,
        removedText: joinParts(trimmed.removedText, fromHtml.removedText),
      };
    }
  }
  return trimReplyText(parsed.text);
}

/**
 * mailparser fills `text` by converting the HTML when a mail has no text/plain part. Such a
 * text is the HTML's conversion with mailparser's settings; a real text/plain alternative
 * differs from it (line wrapping, link and list formatting) and is read as it is.
 */
function isHtmlOnly(parsed: ParsedMessage): boolean {
  if (parsed.text.trim() === '') return true;
  const contentType = (parsed.headers['content-type']?.[0] ?? '').toLowerCase();
  if (contentType.startsWith('text/html')) return true;
  if (!contentType.startsWith('multipart/') || parsed.html === null) return false;
  // The parse stage's compiled converter, with mailparser's settings: `convert` compiled its
  // selectors at every call, which cost more than the conversion.
  const converted = textFromHtml(parsed.html);
  return converted.warning === null && converted.text === parsed.text;
}

const joinParts = (...parts: string[]): string =>
  parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .join('\n\n');

/**
 * What each line is. The trimming rules below read the mail as a string of these letters,
 * one per line, e.g. "tteb" + "qqqe" for two lines of text, a blank, an attribution and a quote.
 */
type Kind =
  | 'e' // empty
  | 'd' // delimiter: "--", "____", "****": signature or footer from here on
  | 's' // phone/webmail tagline: "Sent from my iPhone"
  | 'b' // attribution or separator: "On … wrote:", "-----Original Message-----"
  | 'h' // quoted header field: "From: …", "Sent: …"
  | 'q' // quoted line: "> …"
  | 't'; // text

interface Row {
  line: string;
  kind: Kind;
  /** position in the prepared lines, to compute what was removed */
  at: number;
}

/** Lines longer than this are prose or data, never an attribution; the patterns are not run on them. */
const maxMarkerLine = 1000;

function classify(line: string): Kind {
  if (/^[ \t]*$/.test(line)) return 'e';
  if (isDelimiter(line)) return 'd';
  if (line.length > maxMarkerLine) return /^[ \t]*>/.test(line) ? 'q' : 't';
  if (isMobileTagline(line)) return 's';
  if (isAttribution(line)) return 'b';
  if (isHeaderField(line)) return 'h';
  if (/^[ \t]*>/.test(line)) return 'q';
  return 't';
}

/**
 * Trims a plain-text body. The rules follow the reply corpus of discourse/email_reply_trimmer
 * (MIT): cut at the first delimiter, drop taglines, then cut at the attribution or header block
 * that opens the quoted history, keeping text the writer put below a quote (interleaved
 * replies) unless a long quote closes the mail.
 */
export function trimReplyText(text: string): TrimmedReply {
  if (/^\s*$/.test(text)) return { replyText: '', removedText: '' };
  const prepared = prepare(text);
  const fenced = fencedCodeLines(prepared);
  let rows: Row[] = prepared.map((line, at) => ({ line, at, kind: fenced.has(at) ? 't' : classify(line) }));
  const pattern = (): string => rows.map((r) => r.kind).join('');
  const keepThrough = (index: number): void => {
    rows = rows.slice(0, index + 1);
  };

  // a delimiter starts the signature or a footer: nothing below it is the writer's new text.
  // One above any text is a banner or a form's frame ("=====" over "Name: …"), not a signature.
  const delimiter = /^[^t]*t[^d]*d/.exec(pattern());
  if (delimiter) rows = rows.slice(0, delimiter[0].length - 1);

  rows = rows.filter((r) => r.kind !== 's');

  // the writer answered below the history ("bottom posting"): the new text is the tail
  if (/^b[^t]+t[et]*$/.test(pattern())) {
    const tail = /t[et]*$/.exec(pattern());
    if (tail) rows = rows.slice(tail.index);
    return result(prepared, rows);
  }

  // text, then an attribution with no quote after it: the history follows unquoted (Outlook)
  let m = /te*b[^q]*$/.exec(pattern());
  if (m) keepThrough(m.index);

  // text, then an attribution and its quote, with little text after it (a footer, a sign-off)
  m = /te*b[eqbh]*([te]*)$/.exec(pattern());
  if (m && (m[1] ?? '').split('t').length - 1 < 7) keepThrough(m.index);

  // text, then a quote (and stray attributions) running to the end of the mail
  m = /t?e*[qbe]+$/.exec(pattern());
  if (m) keepThrough(m.index);

  rows = rows.filter((r) => r.kind !== 'b');

  // a header block whose Subject wrapped: the wrapped part reads as text between header lines
  m = /h+[hte]+h+e/.exec(pattern());
  if (m) {
    const start = m.index;
    const end = start + m[0].length;
    rows = rows.map((r, i) => (i >= start && i < end ? { ...r, kind: 'h' } : r));
  }

  // text, then three or more header lines: Outlook's reply header, the history follows
  m = /t[eq]*h{3,}/.exec(pattern());
  if (m) keepThrough(m.index);

  // leftover header blocks go; a lone "To: …" or "Date: …" line is the writer's prose
  const lone = new Set<number>();
  for (const run of pattern().matchAll(/h+/g)) if (run[0].length === 1) lone.add(run.index);
  rows = rows.filter((r, i) => r.kind !== 'h' || lone.has(i));

  // a trailing quote goes, when the writer wrote something
  if (pattern().includes('t')) {
    m = /[eq]+$/.exec(pattern());
    if (m) rows = rows.slice(0, m.index);
  }
  return result(prepared, rows);
}

function result(prepared: string[], rows: Row[]): TrimmedReply {
  const kept = new Set(rows.map((r) => r.at));
  return {
    replyText: trimBlankLines(rows.map((r) => r.line)),
    removedText: trimBlankLines(prepared.filter((_, at) => !kept.has(at))),
  };
}

/** Drops blank lines at both ends and trailing blanks; the first line keeps its indentation (code). */
function trimBlankLines(lines: string[]): string {
  return lines
    .join('\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .trimEnd();
}

/** Lines inside ``` fences are code the writer pasted: "#" or "----" there is no delimiter. */
function fencedCodeLines(lines: string[]): Set<number> {
  const inside = new Set<number>();
  let open = -1;
  lines.forEach((line, i) => {
    if (open < 0 && /^```\w*\s*$/.test(line)) open = i;
    else if (open >= 0 && /^```\s*$/.test(line)) {
      for (let j = open; j <= i; j++) inside.add(j);
      open = -1;
    }
  });
  return inside;
}

/** Normalizes the body into lines the classifier can read one at a time. */
function prepare(text: string): string[] {
  let s = text.replace(/\r\n?/g, '\n');
  // a clearsigned body: the armour lines are no text of the writer
  s = s.replace(/^-----BEGIN PGP SIGNED MESSAGE-----\n(?:Hash: [\w-]+\n)?\s*/i, '');
  s = s.replace(/^-----BEGIN PGP SIGNATURE-----$[\s\S]+?^-----END PGP SIGNATURE-----$/m, '');
  // a list footer closing the body
  s = s.replace(/^Unsubscribe: .+@.+(?:\n.+https?:.+)?\s*$(?![\s\S])/im, '');
  // Emacs/Gnus attribution: '>>>>> "Foo" == Foo Bar <foo@bar> writes:'
  s = s.replace(/^.*>{5} "[^"\n]+" == .+ writes:$/gm, '');
  // quotes enclosed in ">>> name >>>" … "<<< name <<<" or ">>>>" … "<<<<" become "> " quotes
  s = unencloseQuotes(s.split('\n')).join('\n');
  // "Richard> text", "C> text" and "| text" are quotes too (older and Usenet-style clients)
  s = s.replace(/^((?:[ \t]*(?:\p{L}{1,20}>(?=[ \t>|]|$)|[>|]))+)/gmu, (prefix: string) =>
    prefix.replace(/\p{L}+>|\|/gu, '>'),
  );
  return joinWrappedAttributions(
    s
      .replace(/^(?:[ \t]*\n)+/, '')
      .trimEnd()
      .split('\n'),
  );
}

/**
 * Some clients enclose a quote between ">>>>" and "<<<<" lines (or ">>> name >>>" and
 * "<<< name <<<"); they become "> " lines. Line by line, so that a mail full of ">>>>" lines
 * and no closer is read once, not once per opener.
 */
function unencloseQuotes(lines: string[]): string[] {
  const closeAt = (i: number): number => {
    const bare = /^>{4,}[ \t]*$/.test(lines[i] ?? '');
    const named = bare ? null : /^>>> ?(.+?) ?>>>$/.exec(lines[i] ?? '');
    if (!bare && !named) return -1;
    for (let j = i + 2; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (bare ? /^<{4,}[ \t]*$/.test(line) : /^<<< ?(.+?) ?<<<$/.exec(line)?.[1] === named?.[1]) return j;
    }
    return -1;
  };
  if (!lines.some((l) => l.startsWith('<<<'))) return lines;
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const close = closeAt(i);
    if (close < 0) {
      out.push(lines[i] ?? '');
      continue;
    }
    for (let j = i + 1; j < close; j++) out.push(`> ${lines[j] ?? ''}`);
    i = close;
  }
  return out;
}

/** Clients wrap long attributions; "On Thu, … Some One <\nfoo@bar.com> wrote:" is one marker. */
const maxWrappedLines = 4;
const maxJoinedLength = 600;

function joinWrappedAttributions(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i] ?? '';
    const joined = first.trim() === '' || first.length > maxMarkerLine ? null : wrappedAttribution(lines, i);
    if (joined) {
      out.push(joined.line);
      i = joined.last;
    } else out.push(first);
  }
  return out;
}

/**
 * What the first line of every wrappable attribution has: an opener word, a four-digit year, or
 * "wrote on"/"schrieb am". Lines without any are not tried, which keeps long mails fast.
 */
const attributionStart =
  /^[ \t<>-]*(?:on|at|in message|le|am|il|dnia|dňa|em|el|op|den|在)(?![\p{L}\p{N}_])|\d{4}|wrote\s+on|schrieb\s+am/iu;

function wrappedAttribution(lines: string[], start: number): { line: string; last: number } | null {
  const first = lines[start] ?? '';
  if (!attributionStart.test(first)) return null;
  // the line alone comes first: within a kind of attribution the shortest reading wins
  const candidates: { line: string; probe: string; last: number }[] = [
    { line: first, probe: first, last: start },
  ];
  let line = first;
  let probe = first;
  for (let j = start + 1; j <= start + maxWrappedLines && j < lines.length; j++) {
    const next = lines[j] ?? '';
    if (next.trim() === '') continue;
    line = `${line} ${next.trimStart()}`;
    probe = `${probe}\n${next.trimStart()}`;
    if (line.length > maxJoinedLength) break;
    candidates.push({ line, probe, last: j });
  }
  for (const group of wrappableAttributionGroups)
    for (const c of candidates)
      for (const pattern of group) {
        const m = pattern.exec(c.probe);
        // the attribution must begin on the first line; one lying wholly below is found from there
        if (m && m.index < first.length) return c.last === start ? null : { line: c.line, last: c.last };
      }
  return null;
}
