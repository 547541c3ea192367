/**
 * Word-boundary helpers shared by the subject scanners. A "word" character is a letter or a
 * digit in any script; everything else (spaces, punctuation, `:`, `;`, `#`) separates words,
 * so `GC003:` and `(GC-003)` still match while `XGC003Y` does not.
 */

const WORD_CHAR = String.raw`[\p{L}\p{N}]`;

/** Escapes text for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A case-insensitive, Unicode-aware pattern for `body` standing as whole words. */
export function wholeWords(body: string): RegExp {
  return new RegExp(`(?<!${WORD_CHAR})(?:${body})(?!${WORD_CHAR})`, 'giu');
}

/** The words of a name, as they must appear in a subject (whitespace runs collapse). */
export function nameWords(name: string): string[] {
  return name.trim().split(/\s+/u).filter((word) => word !== '');
}
