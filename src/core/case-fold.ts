/**
 * Makes a regular expression case-insensitive without the `i` flag: each letter becomes both
 * its cases ("a" → "[aA]", "[a-f]" → "[a-fA-F]"). V8's linear-time fallback engine, which keeps
 * hostile patterns from stalling a worker (core/regexp-guard.ts), does not run patterns with the
 * `i` or `u` flag, so rule patterns are compiled without flags. No library does this rewrite.
 * Escapes (\d, \S, \u00e4, \p{…}) and group names are copied as written.
 */
export function caseFold(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const end = escapeEnd(pattern, i);
      out += pattern.slice(i, end);
      i = end - 1;
      continue;
    }
    if (!inClass && c === '(' && pattern.startsWith('(?<', i) && pattern[i + 3] !== '=' && pattern[i + 3] !== '!') {
      const close = pattern.indexOf('>', i);
      if (close > 0) {
        out += pattern.slice(i, close + 1);
        i = close;
        continue;
      }
    }
    if (c === '[' && !inClass) {
      inClass = true;
      out += c;
      continue;
    }
    if (c === ']' && inClass) {
      inClass = false;
      out += c;
      continue;
    }
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    if (lower === upper || lower.length !== 1 || upper.length !== 1) {
      out += c;
      continue;
    }
    if (!inClass) {
      out += `[${lower}${upper}]`;
      continue;
    }
    // In a class: a range of letters gets its other-case range, a letter its other case.
    const to = pattern[i + 2];
    if (pattern[i + 1] === '-' && to !== undefined && to !== ']' && to !== '\\') {
      const other = (x: string): string => (x === x.toLowerCase() ? x.toUpperCase() : x.toLowerCase());
      out += `${c}-${to}`;
      if (other(c) !== c && other(to) !== to && other(c).length === 1 && other(to).length === 1) out += `${other(c)}-${other(to)}`;
      i += 2;
      continue;
    }
    out += lower + upper;
  }
  return out;
}

/** Where an escape starting at `i` (a backslash) ends: \u{…}, \uXXXX, \xXX, \cX, \p{…}, \k<…>, or one character. */
function escapeEnd(p: string, i: number): number {
  const next = p[i + 1];
  if ((next === 'u' || next === 'p' || next === 'P') && p[i + 2] === '{') {
    const close = p.indexOf('}', i);
    return close > 0 ? close + 1 : p.length;
  }
  if (next === 'u') return Math.min(p.length, i + 6);
  if (next === 'x') return Math.min(p.length, i + 4);
  if (next === 'c') return Math.min(p.length, i + 3);
  if (next === 'k' && p[i + 2] === '<') {
    const close = p.indexOf('>', i);
    return close > 0 ? close + 1 : p.length;
  }
  return Math.min(p.length, i + 2);
}
