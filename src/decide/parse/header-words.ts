import { decodeText } from './charset.ts';

// An RFC 2047 encoded word, leniently: any charset token (with an RFC 2231 language suffix),
// and text that may hold spaces or a line fold, which broken encoders write.
const encodedWord = /=\?([^?\s]+)\?([bq])\?([\s\S]*?)\?=/gi;

/**
 * Decodes a raw header value (bytes as a binary string, as mailparser's `headerLines` give it)
 * where libmime could not: encoded words in UTF-7 (which libmime refuses), in unknown or wrong
 * charsets, run together without spaces, or with a multibyte character split across two words;
 * and raw 8-bit text in any charset. Returns the text and what had to be guessed.
 */
export function decodeHeaderValue(raw: string, where: string): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const value = raw.replace(/\r?\n(?=[ \t])/g, '');
  let text = '';
  let last = 0;
  // consecutive words of one charset are decoded together: a character may span two of them
  let run: { charset: string; bytes: Buffer[] } | null = null;
  const flush = (): void => {
    if (!run) return;
    const out = decodeText(Buffer.concat(run.bytes), run.charset, where);
    if (out.warning) warnings.push(out.warning);
    text += out.text;
    run = null;
  };
  for (const m of value.matchAll(encodedWord)) {
    const between = value.slice(last, m.index);
    // whitespace between two encoded words is not part of the text (RFC 2047 section 6.2)
    if (!(run && /^\s*$/.test(between))) {
      flush();
      text += plain(between, where, warnings);
    }
    const charset = (m[1] as string).replace(/\*.*$/, '');
    const bytes = wordBytes((m[2] as string).toLowerCase(), m[3] as string);
    if (run && run.charset.toLowerCase() !== charset.toLowerCase()) flush();
    run ??= { charset, bytes: [] };
    run.bytes.push(bytes);
    last = m.index + m[0].length;
  }
  flush();
  text += plain(value.slice(last), where, warnings);
  return { text, warnings };
}

/** Does a header value in a raw line need decodeHeaderValue() rather than what libmime made of it? */
export function needsHeaderRepair(raw: string, decoded: string): boolean {
  if (decoded.includes('\uFFFD') || /=\?[^?\s]+\?[bq]\?[^?]*\?=/i.test(decoded)) return true;
  for (const m of raw.matchAll(encodedWord)) if (/utf-?7/i.test(m[1] as string)) return true;
  return false;
}

/**
 * The value with every encoded word and raw 8-bit run decoded, then each non-ASCII stretch
 * re-encoded as a UTF-8 encoded word: what an address parser can take safely (a decoded name
 * may hold the commas and brackets the parser splits on).
 */
export function normalizeAddressHeader(raw: string, where: string): { value: string; warnings: string[] } {
  const { text, warnings } = decodeHeaderValue(raw, where);
  const value = text.replace(
    /[^\x00-\x7f]+(?:[ \t]+[^\x00-\x7f]+)*/g,
    (s) => `=?utf-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`,
  );
  return { value, warnings };
}

function wordBytes(encoding: string, data: string): Buffer {
  if (encoding === 'b') return Buffer.from(data.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  const bytes: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data[i] as string;
    if (c === '_') bytes.push(0x20);
    else if (c === '=' && /^[0-9a-f]{2}$/i.test(data.slice(i + 1, i + 3))) {
      bytes.push(parseInt(data.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(data.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes);
}

/** Text outside encoded words: ASCII as is; raw 8-bit bytes (RFC 6532 UTF-8, or a legacy charset) decoded. */
function plain(segment: string, where: string, warnings: string[]): string {
  if (!/[^\x00-\x7f]/.test(segment)) return segment;
  const out = decodeText(Buffer.from(segment, 'latin1'), null, where);
  // raw UTF-8 is standard in headers (RFC 6532): no warning for it
  if (out.warning && out.charset !== 'utf-8') warnings.push(out.warning);
  return out.text;
}
