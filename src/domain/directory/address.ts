import { domainToASCII } from 'node:url';
import type { AddressSettings } from './types.ts';

/** An address split at its last `@`, the domain in canonical form. */
export interface ParsedAddress {
  readonly local: string;
  readonly domain: string;
}

/**
 * The canonical form of a domain: lower case, no trailing root dot, internationalised names in
 * their ASCII (punycode) form so `bücher.de` and `xn--bcher-kva.de` are one domain. A leading
 * `@` is dropped: admins write company domains as `@acmeplumbing.com` (seed 004).
 */
export function normalizeDomain(text: string): string | undefined {
  let domain = text.trim().replace(/^@/, '').replace(/\.$/, '');
  if (domain === '') return undefined;
  // An address literal (`[192.0.2.1]`) is kept as written.
  if (domain.startsWith('[')) return /^\[[^\]\s]+\]$/.test(domain) ? domain.toLowerCase() : undefined;
  if (/[^\x00-\x7f]/.test(domain)) domain = domainToASCII(domain);
  domain = domain.toLowerCase();
  return /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/.test(domain)
    ? domain
    : undefined;
}

/**
 * Parses `bob@x.com`, `<bob@x.com>` or `mailto:bob@x.com`. The local part is kept as written:
 * whether its case matters is a matching setting, not a property of the stored address.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  let value = text.trim();
  if (value.startsWith('<') && value.endsWith('>')) value = value.slice(1, -1).trim();
  if (/^mailto:/i.test(value)) value = value.slice('mailto:'.length);
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return undefined;
  const local = value.slice(0, at);
  if (local.length > 64 || /[\s<>,;]/.test(local)) return undefined;
  const domain = normalizeDomain(value.slice(at + 1));
  return domain === undefined ? undefined : { local, domain };
}

/** `local@domain` with the canonical domain: how the directory stores an address. */
export function canonicalAddress(address: ParsedAddress): string {
  return `${address.local}@${address.domain}`;
}

/** The local part without its `+tag` (RFC 5233 subaddress), or the local part itself. */
export function baseLocalPart(local: string, separator: string): string {
  if (separator === '') return local;
  const cut = local.indexOf(separator);
  // `+bob@x.com` has no base to fall back to: the whole local part is the mailbox.
  return cut > 0 ? local.slice(0, cut) : local;
}

/** How an incoming address met a stored one, for the trace. */
export type AddressMatch = 'exact' | 'case' | 'subaddress';

/**
 * Whether `incoming` (a sender) is the stored directory address `stored`, and how. The domain
 * always compares case-insensitively; the local part as `settings.localPartCase` says; a tagged
 * `bob+x@` matches a stored `bob@` (never the other way round: a stored tagged address names a
 * mailbox of its own).
 */
export function matchAddress(
  stored: ParsedAddress,
  incoming: ParsedAddress,
  settings: AddressSettings,
): AddressMatch | undefined {
  if (stored.domain !== incoming.domain) return undefined;
  if (stored.local === incoming.local) return 'exact';
  const insensitive = settings.localPartCase === 'insensitive';
  const same = (a: string, b: string): boolean =>
    insensitive ? a.toLowerCase() === b.toLowerCase() : a === b;
  if (same(stored.local, incoming.local)) return 'case';
  const base = baseLocalPart(incoming.local, settings.subaddressSeparator);
  if (base !== incoming.local && same(stored.local, base)) return 'subaddress';
  return undefined;
}

/**
 * The lower-cased local parts a stored address may have to match `incoming`: the store narrows
 * with these on an index, then `matchAddress` applies the exact rule. Storage stays independent
 * of the settings, so changing them needs no re-import.
 */
export function candidateLocals(incoming: ParsedAddress, settings: AddressSettings): string[] {
  const base = baseLocalPart(incoming.local, settings.subaddressSeparator);
  return [...new Set([incoming.local.toLowerCase(), base.toLowerCase()])];
}

/** The domain of an address, or of a bare domain (`@x.com`, `X.COM`), in canonical form. */
export function domainOf(text: string): string | undefined {
  return text.includes('@') && !text.trim().startsWith('@')
    ? parseAddress(text)?.domain
    : normalizeDomain(text);
}
