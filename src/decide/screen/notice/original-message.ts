import type { ReportPart } from '../../../core/plan.ts';

/** The returned mail's headers as report parts carry them; the parser caps each at 64 KiB. */
const returnedTypes = new Set([
  'text/rfc822-headers',
  'message/rfc822-headers',
  'message/global-headers',
  'message/rfc822',
  'message/global',
]);

export interface OriginalHeaders {
  messageId: string | null;
  to: string | null;
  from: string | null;
  subject: string | null;
  /** a header only the returned mail has, looked up by lower-cased name */
  get: (name: string) => string | null;
}

/** The header block of the returned mail: from a report part, else from text after a bounce's "copy of the message" line. */
export function originalHeaders(reports: ReportPart[], inlineText: string | null): OriginalHeaders | null {
  for (const r of reports) if (returnedTypes.has(r.contentType)) return headersOf(r.text);
  if (inlineText) {
    const block = headerBlockIn(inlineText);
    if (block) return headersOf(block);
  }
  return null;
}

/** The first run of at least two "Name: value" lines in the text: the returned mail's header block. */
function headerBlockIn(text: string): string | null {
  const lines = text.split(/\r?\n/, 2000);
  let start = -1;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (start < 0) {
      if (/^[A-Za-z][A-Za-z0-9-]{0,60}:/.test(line) && /^([A-Za-z][A-Za-z0-9-]{0,60}:|[ \t])/.test(lines[i + 1] ?? ''))
        start = i;
      continue;
    }
    if (line.trim() === '') return lines.slice(start, i).join('\n');
  }
  return start >= 0 ? lines.slice(start).join('\n') : null;
}

function headersOf(raw: string): OriginalHeaders {
  const end = raw.search(/\r?\n\r?\n/);
  const block = (end >= 0 ? raw.slice(0, end) : raw).slice(0, 64 * 1024);
  const fields = new Map<string, string>();
  let last = '';
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      fields.set(last, `${fields.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || colon > 60) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    // the first occurrence wins: later ones are usually from quoted or nested messages
    if (!fields.has(last)) fields.set(last, line.slice(colon + 1).trim());
    else last = '';
  }
  const get = (name: string): string | null => fields.get(name) ?? null;
  return {
    messageId: messageIdOf(get('message-id')),
    to: firstAddress(get('to')),
    from: firstAddress(get('from')),
    subject: get('subject'),
    get,
  };
}

function messageIdOf(value: string | null): string | null {
  if (!value) return null;
  const m = /<([^<>\s]{1,500})>/.exec(value);
  const id = m?.[1] ?? value.trim().split(/\s+/)[0] ?? '';
  return id.includes('@') ? id : null;
}

export function firstAddress(value: string | null): string | null {
  if (!value) return null;
  const m = /<([^<>\s@]{1,200}@[^<>\s@]{1,200})>/.exec(value) ?? /([^\s<>"',;:()]{1,200}@[A-Za-z0-9.-]{1,200})/.exec(value);
  return m?.[1] ? m[1].toLowerCase() : null;
}
