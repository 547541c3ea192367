import { parseAddressHeader, type AddressObject, type HeaderValue } from 'mailparser';
import { decodeHeaderValue, needsHeaderRepair, normalizeAddressHeader } from './header-words.ts';

export interface HeaderLine {
  key: string;
  line: string;
}

const addressHeaders = ['from', 'to', 'cc', 'reply-to'];

/**
 * Re-decodes, from the raw header lines, the Subject and address headers that libmime decoded
 * badly (see needsHeaderRepair), and picks the first From that holds an address when a mail has
 * several (spam and broken gateways add a second one; mailparser keeps the first). Changes
 * `headers` in place; what had to be guessed goes to `warnings`.
 */
export function repairHeaders(
  headers: Map<string, HeaderValue>,
  lines: HeaderLine[],
  warnings: string[],
): void {
  const raw = (key: string): string[] =>
    lines
      .filter((l) => l.key === key)
      .map((l) => l.line.slice(l.line.indexOf(':') + 1).replace(/^[ \t]+/, ''));

  const subject = headers.get('subject');
  const rawSubject = raw('subject')[0];
  if (typeof subject === 'string' && rawSubject !== undefined && needsHeaderRepair(rawSubject, subject)) {
    const out = decodeHeaderValue(rawSubject, 'Subject');
    headers.set('subject', out.text.trim());
    warnings.push(...out.warnings);
  }

  for (const key of addressHeaders) {
    const values = raw(key);
    const current = headers.get(key);
    const decoded = isAddressObject(current) ? current : null;
    const text = decoded ? JSON.stringify(decoded.value) : '';
    const broken = values.some((v) => needsHeaderRepair(v, text));
    const empty = key === 'from' && (decoded === null || !hasAddress(decoded)) && values.length > 1;
    // "Name (user@host)": the address only in a comment, which the parser drops
    const commented = decoded !== null && lacksAddress(decoded) && values.some((v) => commentAddress.test(v));
    if (!broken && !empty && !commented) continue;
    const normalized = values.map((v) =>
      normalizeAddressHeader(commented ? v.replace(commentAddresses, '<$1>') : v, headerName(key)),
    );
    let chosen = 0;
    if (key === 'from') {
      // one address: the first From value that holds one
      const found = normalized.findIndex((n) => hasAddress(parseAddressHeader(n.value)));
      chosen = Math.max(found, 0);
      headers.set(key, parseAddressHeader(normalized[chosen]?.value ?? ''));
      warnings.push(...(normalized[chosen]?.warnings ?? []));
      if (chosen > 0)
        warnings.push(
          `several From headers; the ${ordinal(chosen + 1)}, the first with an address, was used`,
        );
    } else {
      headers.set(key, parseAddressHeader(normalized.map((n) => n.value)));
      warnings.push(...normalized.flatMap((n) => n.warnings));
    }
  }
}

function ordinal(n: number): string {
  return n === 2 ? 'second' : n === 3 ? 'third' : `${n}th`;
}

function isAddressObject(value: HeaderValue | undefined): value is AddressObject {
  return typeof value === 'object' && value !== null && 'value' in value && Array.isArray(value.value);
}

const commentAddress = /\(\s*([^\s()<>@,;:"]+@[^\s()<>@,;:"]+)\s*\)/;
const commentAddresses = new RegExp(commentAddress.source, 'g');

/** Some entry is a bare name: the parser found no address for it. */
function lacksAddress(value: AddressObject): boolean {
  return value.value.some((e) => !e.address && !e.group);
}

function hasAddress(value: AddressObject): boolean {
  const visit = (list: AddressObject['value']): boolean =>
    list.some((e) => Boolean(e.address) || (e.group ? visit(e.group) : false));
  return visit(value.value);
}

function headerName(key: string): string {
  return key.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}
