/**
 * The "name: value" field blocks of RFC 3464 (DSN), RFC 8098 (MDN) and RFC 5965 (ARF) report
 * parts. A block is one group of fields; blank lines separate the per-message group from the
 * per-recipient groups.
 */
export type FieldBlock = Map<string, string[]>;

/** Reports are small by standard; this bounds the work on a hostile one. */
const maxLines = 4000;
const maxLineLength = 2000;

/**
 * Splits a report body into field blocks. Continuation lines (leading white space) are
 * unfolded. Some MTAs leave out the blank line between recipients, so a second
 * Final-Recipient in one group also starts a new block.
 */
export function readFieldBlocks(text: string): FieldBlock[] {
  const blocks: FieldBlock[] = [];
  let current: FieldBlock = new Map();
  let last: { name: string; index: number } | null = null;
  const close = (): void => {
    if (current.size > 0) blocks.push(current);
    current = new Map();
    last = null;
  };
  const lines = text.split(/\r?\n/, maxLines);
  for (const raw of lines) {
    const line = raw.length > maxLineLength ? raw.slice(0, maxLineLength) : raw;
    if (line.trim() === '') {
      close();
      continue;
    }
    if (/^[ \t]/.test(line)) {
      if (last) {
        const values = current.get(last.name);
        if (values) values[last.index] = `${values[last.index] ?? ''} ${line.trim()}`;
      }
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || colon > 60) {
      last = null;
      continue;
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
      last = null;
      continue;
    }
    if (name === 'final-recipient' && current.has('final-recipient')) close();
    const value = line.slice(colon + 1).trim();
    const values = current.get(name) ?? [];
    values.push(value);
    current.set(name, values);
    last = { name, index: values.length - 1 };
  }
  close();
  return blocks;
}

export function field(block: FieldBlock, name: string): string {
  return block.get(name)?.[0] ?? '';
}

/** "rfc822; User@Example.com" → "user@example.com"; '' when no address is there. */
export function typedAddress(value: string): string {
  const semi = value.indexOf(';');
  let rest = (semi >= 0 ? value.slice(semi + 1) : value).trim();
  const angle = /<([^<>\s]{1,320})>/.exec(rest);
  if (angle?.[1]) rest = angle[1];
  rest = rest.replace(/^["']|["']$/g, '').trim();
  const token = rest.split(/\s+/)[0] ?? '';
  return token.includes('@') ? token.toLowerCase() : '';
}

/** "smtp; 550 5.1.1 user unknown" → "550 5.1.1 user unknown". */
export function typedValue(value: string): string {
  const semi = value.indexOf(';');
  if (semi >= 0 && semi < 20 && /^[a-z0-9-]+$/i.test(value.slice(0, semi).trim()))
    return value.slice(semi + 1).trim();
  return value.trim();
}
