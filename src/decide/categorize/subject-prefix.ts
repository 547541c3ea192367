/**
 * The configured prefix the subject starts with, if any: "Re:", "AW:", "Re[2]:", "Réf :",
 * "[EXT] Fwd:" all count. Only the first prefix decides, so "Fwd: Re: x" is a forward.
 */
export function leadingPrefix(subject: string, prefixes: readonly string[]): string | null {
  let rest = subject.trimStart();
  // Tags that gateways and lists put in front ([EXT], [support]) are not part of the prefix.
  for (let i = 0; i < 5; i++) {
    const tag = /^\[[^\]\n]{0,40}\]\s*/.exec(rest);
    if (!tag) break;
    rest = rest.slice(tag[0].length);
  }
  const lowered = rest.toLowerCase();
  for (const prefix of prefixes) {
    const core = prefix
      .trim()
      .toLowerCase()
      .replace(/[:：]$/, '');
    if (core.length === 0 || !lowered.startsWith(core)) continue;
    const after = lowered.slice(core.length);
    if (/^\s*(\[\d+\]|\(\d+\))?\s*[:：]/.test(after)) return prefix;
  }
  return null;
}
