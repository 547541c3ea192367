import { isUtf8 } from 'node:buffer';
import chardet from 'chardet';
import Encoding from 'encoding-japanese';
import iconv from 'iconv-lite';

/** A text decoded from bytes, with the charset actually used and, when that was a guess, why. */
export interface DecodedText {
  text: string;
  charset: string;
  /** a sentence for ParsedMessage.warnings; null when the label was simply followed */
  warning: string | null;
}

// Labels of charsets that only use 7-bit bytes: a byte of 0x80 or more under one means the label is wrong.
const sevenBitLabel =
  /^(?:us-?ascii|ascii|ansi_x3\.4-1968|iso-?646-us|(?:unicode-1-1-)?utf-?7|(?:cs)?iso-?2022-[a-z]+(?:-\d)?)$/i;
// iconv-lite has no ISO-2022-JP (stateful); encoding-japanese decodes it.
const iso2022jp = /^(?:cs)?iso-?2022-?jp(?:-\d|-ext)?$|^jis$/;
// The "names" mail clients write for a charset, mapped to the decoder browsers use for them
// (WHATWG Encoding: the Windows supersets, since senders label cp932/cp949/gbk mail with the
// older standard names).
const aliases: Record<string, string> = {
  'us-ascii': 'windows-1252',
  ascii: 'windows-1252',
  'ansi_x3.4-1968': 'windows-1252',
  'iso-8859-1': 'windows-1252',
  latin1: 'windows-1252',
  'iso-8859-9': 'windows-1254',
  'iso-8859-11': 'windows-874',
  'tis-620': 'windows-874',
  shift_jis: 'cp932',
  'shift-jis': 'cp932',
  sjis: 'cp932',
  'x-sjis': 'cp932',
  ms_kanji: 'cp932',
  'windows-31j': 'cp932',
  'euc-jp': 'eucjp',
  'x-euc-jp': 'eucjp',
  'euc-kr': 'cp949',
  'ks_c_5601-1987': 'cp949',
  ks_c_5601: 'cp949',
  'x-windows-949': 'cp949',
  gb2312: 'gb18030',
  gbk: 'gb18030',
  'x-gbk': 'gb18030',
  'euc-cn': 'gb18030',
  cp936: 'gb18030',
  big5: 'big5hkscs',
  'x-big5': 'big5hkscs',
  'unicode-1-1-utf-7': 'utf-7',
  'x-unicode20utf8': 'utf-8',
  'x-mac-roman': 'macintosh',
  'x-mac-cyrillic': 'maccyrillic',
};

/**
 * The decoder name for a charset label as found in mail, or null when no decoder knows it.
 * Tolerates the usual misspellings: quotes, "win-1252", "cp-1251", "iso8859-1", "utf8", "latin-2".
 */
export function resolveCharset(label: string | null | undefined): string | null {
  if (!label) return null;
  let name = label
    .trim()
    .replace(/^["']|["']$/g, '')
    .replace(/\*.*$/, '') // RFC 2231 language suffix: utf-8*de
    .toLowerCase();
  if (!name) return null;
  name = name
    .replace(/^utf[-_]?(8|7|16|32)/, 'utf-$1')
    .replace(/^(?:win(?:dows)?|cp|ms)[-_]?(125\d)$/, 'windows-$1')
    .replace(/^iso[-_]?8859[-_]?(\d+)(?::\d{4})?$/, 'iso-8859-$1')
    .replace(/^latin[-_]?1$/, 'latin1');
  const candidates = [name, name.replace(/^x-/, ''), name.replace(/_/g, '-')];
  for (const c of candidates) {
    const aliased = aliases[c] ?? c;
    if (iso2022jp.test(aliased)) return 'iso-2022-jp';
    if (aliased === 'utf-7' || aliased === 'utf-8' || iconv.encodingExists(aliased)) return aliased;
  }
  return null;
}

/** Decodes bytes with a name from resolveCharset(); never throws. */
export function decodeAs(bytes: Uint8Array, charset: string): string {
  if (charset === 'utf-8') return Buffer.from(bytes).toString('utf8');
  if (charset === 'iso-2022-jp') {
    const out = Encoding.convert(bytes, { to: 'UNICODE', from: 'JIS', type: 'string' });
    return typeof out === 'string' ? out : Buffer.from(bytes).toString('latin1');
  }
  try {
    return iconv.decode(Buffer.from(bytes), charset === 'utf-7' ? 'utf7' : charset);
  } catch {
    return Buffer.from(bytes).toString('utf8');
  }
}

/**
 * Decodes a text part. Follows the label where it fits the bytes; otherwise (no label, an unknown
 * one, 8-bit bytes under a 7-bit label, bytes the labelled charset cannot hold, or UTF-8 under a
 * single-byte Western label) it guesses and says so in `warning`. `where` names the part in it.
 */
export function decodeText(bytes: Uint8Array, label: string | null | undefined, where: string): DecodedText {
  const declared = label?.trim() || null;
  const resolved = resolveCharset(declared);
  const has8bit = bytes.some((b) => b >= 0x80);
  const utf8 = has8bit && isUtf8(bytes);
  const said = declared ? `charset "${declared}"` : 'no charset';
  const guess = (charset: string, reason: string): DecodedText => ({
    text: decodeAs(bytes, charset),
    charset,
    warning: `${where}: ${reason}; decoded as ${charset}`,
  });

  if (!declared || resolved === null) {
    if (!has8bit) {
      // 7-bit Japanese mail often carries no label at all; its escape sequences give it away.
      if (hasIso2022JpEscapes(bytes)) return guess('iso-2022-jp', `${said} but ISO-2022-JP escape sequences`);
      return { text: decodeAs(bytes, 'windows-1252'), charset: 'us-ascii', warning: null };
    }
    if (utf8) return guess('utf-8', declared ? `${said} is unknown` : 'no charset given');
    if (mostlyUtf8(bytes)) return utf8WithStrays(bytes, where);
    return guess(
      detectCharset(bytes, null),
      declared ? `${said} is unknown` : 'no charset given and the bytes are not UTF-8',
    );
  }

  if (resolved === 'utf-8') {
    if (!has8bit || utf8) return { text: decodeAs(bytes, 'utf-8'), charset: 'utf-8', warning: null };
    if (mostlyUtf8(bytes)) return utf8WithStrays(bytes, where);
    return guess(detectCharset(bytes, null), `${said} but the bytes are not UTF-8`);
  }

  if (has8bit && sevenBitLabel.test(declared.replace(/^["']|["']$/g, ''))) {
    if (utf8) return guess('utf-8', `${said} but 8-bit UTF-8 bytes`);
    return guess(detectCharset(bytes, resolved), `${said} but 8-bit bytes`);
  }
  if (!has8bit && resolved === 'windows-1252' && hasIso2022JpEscapes(bytes))
    return guess('iso-2022-jp', `${said} but ISO-2022-JP escape sequences`);

  // UTF-8 under a single-byte Western label: valid multibyte UTF-8 is almost never what Latin-1
  // text happens to look like, and reading it as Latin-1 would print "Ã¤" for "ä".
  if (utf8 && singleByteWestern.test(resolved) && hasMultibyteUtf8(bytes))
    return guess('utf-8', `${said} but the bytes are UTF-8`);

  const text = decodeAs(bytes, resolved);
  if (text.includes('\uFFFD') && has8bit) {
    // bytes the labelled charset has no character for: a wrong label, not a broken text
    if (utf8) return guess('utf-8', `${said} cannot hold these bytes, they are UTF-8`);
    const detected = detectCharset(bytes, resolved);
    if (detected !== resolved) {
      const retry = decodeAs(bytes, detected);
      if (!retry.includes('\uFFFD'))
        return {
          text: retry,
          charset: detected,
          warning: `${where}: ${said} cannot hold these bytes; decoded as ${detected}`,
        };
    }
  }
  return { text, charset: resolved, warning: null };
}

const singleByteWestern = /^(?:windows-125[0-8]|iso-8859-\d+|macintosh|cp850|cp437)$/;

function hasIso2022JpEscapes(bytes: Uint8Array): boolean {
  for (let i = 0; i + 2 < bytes.length; i++)
    if (bytes[i] === 0x1b && bytes[i + 1] === 0x24 && (bytes[i + 2] === 0x42 || bytes[i + 2] === 0x40))
      return true;
  return false;
}

/** Counts well-formed multibyte UTF-8 sequences and malformed bytes. */
function utf8Shape(bytes: Uint8Array): { multibyte: number; invalid: number } {
  let multibyte = 0;
  let invalid = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] as number;
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 1) {
      i += 1;
      continue;
    }
    let ok = len > 0 && i + len <= bytes.length;
    for (let k = 1; ok && k < len; k++) ok = ((bytes[i + k] as number) & 0xc0) === 0x80;
    if (ok) {
      multibyte += 1;
      i += len;
    } else {
      invalid += 1;
      i += 1;
    }
  }
  return { multibyte, invalid };
}

function hasMultibyteUtf8(bytes: Uint8Array): boolean {
  return utf8Shape(bytes).multibyte > 0;
}

/** UTF-8 with a stray Latin-1 byte or two (a pasted or appended snippet): still UTF-8 text. */
function mostlyUtf8(bytes: Uint8Array): boolean {
  const { multibyte, invalid } = utf8Shape(bytes);
  return multibyte >= 10 * invalid;
}

/**
 * Decodes UTF-8 and reads each byte that is not part of a well-formed sequence as windows-1252,
 * as browsers' mixed-encoding repair does: "Caf\xe9" in an otherwise UTF-8 text is "Café", not "Caf�".
 */
function utf8WithStrays(bytes: Uint8Array, where: string): DecodedText {
  let text = '';
  let strays = 0;
  let start = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] as number;
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let ok = len > 0 && i + len <= bytes.length;
    for (let k = 1; ok && k < len; k++) ok = ((bytes[i + k] as number) & 0xc0) === 0x80;
    if (ok && len > 1) ok = isUtf8(bytes.subarray(i, i + len)); // overlongs and surrogates
    if (ok) {
      i += len;
      continue;
    }
    text +=
      Buffer.from(bytes.subarray(start, i)).toString('utf8') + iconv.decode(Buffer.from([b]), 'windows-1252');
    strays += 1;
    i += 1;
    start = i;
  }
  text += Buffer.from(bytes.subarray(start)).toString('utf8');
  const warning = `${where}: ${strays} byte(s) in the UTF-8 text are not UTF-8; read as windows-1252`;
  return { text, charset: 'utf-8', warning };
}

/**
 * Guesses the charset of bytes that are not UTF-8. A Japanese label narrows the guess to the
 * Japanese encodings (encoding-japanese tells Shift_JIS from EUC-JP reliably); otherwise chardet's
 * best answer that we can decode, and windows-1252 when it has none worth trusting.
 */
export function detectCharset(bytes: Uint8Array, hint: string | null): string {
  if (isUtf8(bytes)) return 'utf-8';
  if (hasIso2022JpEscapes(bytes) && !bytes.some((b) => b >= 0x80)) return 'iso-2022-jp';
  if (hint && /^(?:iso-2022-jp|cp932|eucjp|shift_jis)$/.test(hint)) {
    const jp = Encoding.detect(bytes);
    if (jp === 'SJIS') return 'cp932';
    if (jp === 'EUCJP') return 'eucjp';
  }
  for (const match of chardet.analyse(bytes)) {
    if (match.confidence < 20) break;
    if (/^(?:UTF-(?:8|16|32)|ISO-2022)/i.test(match.name)) continue; // not 8-bit mail text, or handled above
    const name = resolveCharset(match.name);
    if (name) return name;
  }
  return 'windows-1252';
}
