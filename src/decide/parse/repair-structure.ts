/**
 * How much of the raw message the structure repair reads and may rewrite. The top header block
 * and the first boundaries of any real multipart lie well inside it; memory stays bounded.
 */
export const repairWindow = 64 * 1024;

export interface StructureRepair {
  /** replaces the first `head.length` bytes of the raw message */
  head: Buffer;
  /** what was repaired, for the parse warnings */
  fixes: string[];
}

/**
 * Repairs, in the first bytes of a raw message, the MIME shapes that make mailparser lose the
 * whole body: a multipart whose declared boundary never occurs (gateways that rewrite the
 * boundary in the header only, or strip the parts), a `boundary=` parameter folded onto a line
 * without indentation, and Content-Type parameters written without the `;`. Returns null when
 * none of them is present. Latin-1 keeps every byte as it was outside the repaired spots.
 */
export function repairStructure(head: Buffer): StructureRepair | null {
  let s = head.toString('latin1');
  const fixes: string[] = [];

  // "Content-Type: multipart/alternative;\nboundary=..." — the parameter line lost its indent
  const unfolded = s.replace(/^(Content-Type:[^\r\n]*;[ \t]*\r?\n)(boundary=)/gim, '$1\t$2');
  if (unfolded !== s) fixes.push('a boundary parameter folded without indentation was joined to its header');
  s = unfolded;

  // "Content-Type: text/plain\n   charset=..." — parameters without the separating ';'
  const separated = s.replace(
    /^(Content-Type:[ \t]*[\w.+-]+\/[\w.+-]+)(?=(?:[ \t]+|\r?\n[ \t]+)[\w-]+[ \t]*=)/gim,
    '$1;',
  );
  if (separated !== s) fixes.push("Content-Type parameters without ';' were separated");
  s = separated;

  const top = topContentType(s);
  if (top && /^[ \t]*multipart\//i.test(top.value)) {
    const bodyStart = headerEnd(s);
    const lines = bodyStart < 0 ? [] : s.slice(bodyStart).split(/\r?\n/).map((l) => l.trimEnd());
    if (head.length >= repairWindow) lines.pop(); // cut by the window, maybe mid-line
    const declared = /\bboundary[ \t]*=[ \t]*(?:"([^"]*)"|([^;\s]+))/i.exec(top.value);
    const declaredValue = declared ? (declared[1] ?? declared[2] ?? '') : '';
    const present = declaredValue !== '' && lines.includes(`--${declaredValue}`);
    if (!present) {
      const used = usedBoundary(lines);
      let value: string;
      if (used !== null) {
        value = declared
          ? top.value.replace(declared[0], `boundary="${used}"`)
          : `${top.value.replace(/[ \t\r\n]+$/, '')}; boundary="${used}"`;
        fixes.push(`the multipart boundary declared in the header is not the one the body uses ("${used}")`);
      } else {
        value = top.value.replace(/multipart\/[\w.+-]+/i, 'text/plain');
        fixes.push('a multipart body without any boundary line was read as plain text');
      }
      s = s.slice(0, top.start) + value + s.slice(top.end);
    }
  }
  return fixes.length > 0 ? { head: Buffer.from(s, 'latin1'), fixes } : null;
}

/** Offset of the first byte after the top header block, or -1. */
function headerEnd(s: string): number {
  const m = /\r?\n\r?\n/.exec(s);
  return m ? m.index + m[0].length : -1;
}

/** The top-level Content-Type value, with its folded lines, as offsets into `s`. */
function topContentType(s: string): { value: string; start: number; end: number } | null {
  const end = headerEnd(s);
  const block = end < 0 ? s : s.slice(0, end);
  const m = /^Content-Type:((?:[^\r\n]*)(?:\r?\n[ \t][^\r\n]*)*)/im.exec(block);
  if (!m) return null;
  const start = m.index + 'Content-Type:'.length;
  return { value: m[1] ?? '', start, end: start + (m[1] ?? '').length };
}

/**
 * The boundary the body really uses: the first `--X` line that repeats (or is closed by
 * `--X--`) and opens a part, i.e. is followed by a header line or the part's blank line.
 * Lines of dashes alone are text separators, not boundaries.
 */
function usedBoundary(lines: string[]): string | null {
  // counted once, so a hostile body of many distinct candidates stays linear
  const counts = new Map<string, number>();
  for (const l of lines) if (l.startsWith('--')) counts.set(l, (counts.get(l) ?? 0) + 1);
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i += 1) {
    const m = /^--([\x21-\x7e][\x20-\x7e]{0,68})$/.exec(lines[i] ?? '');
    const x = m?.[1];
    if (x === undefined || seen.has(x) || !/[^-]/.test(x)) continue;
    seen.add(x);
    const next = lines[i + 1] ?? '';
    if (next !== '' && !/^[\x21-\x39\x3b-\x7e]+:/.test(next)) continue;
    if ((counts.get(`--${x}`) ?? 0) > 1 || (counts.get(`--${x}--`) ?? 0) > 0) return x;
  }
  return null;
}
