import type { KeyObject } from 'node:crypto';

/** An MX record as node:dns resolveMx() returns it. */
export interface MxRecord {
  exchange: string;
  priority: number;
}

/**
 * DNS in memory, answering the way node:dns `resolve(name, rrtype)` does, which is what mailauth
 * calls: TXT as arrays of ≤255-byte chunks, A/AAAA as address strings, MX as objects, and an
 * error with code ENOTFOUND (no such name) or ENODATA (name without that type) otherwise.
 * Every question is logged in `queries`, so a test can also show what was asked.
 */
export class DnsStub {
  readonly queries: string[] = [];
  private readonly records = new Map<string, Map<string, unknown[]>>();

  txt(name: string, ...values: string[]): this {
    for (const v of values) this.add(name, 'TXT', chunks(v));
    return this;
  }

  a(name: string, ...addresses: string[]): this {
    for (const address of addresses) this.add(name, address.includes(':') ? 'AAAA' : 'A', address);
    return this;
  }

  mx(name: string, exchange: string, priority = 10): this {
    this.add(name, 'MX', { exchange, priority } satisfies MxRecord);
    return this;
  }

  /** The DKIM key record for `selector._domainkey.domain` (RFC 6376 3.6.1). */
  dkimKey(domain: string, selector: string, publicKey: KeyObject): this {
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    return this.txt(`${selector}._domainkey.${domain}`, `v=DKIM1; k=rsa; p=${p}`);
  }

  spf(domain: string, record: string): this {
    return this.txt(domain, record);
  }

  dmarc(domain: string, record: string): this {
    return this.txt(`_dmarc.${domain}`, record);
  }

  /** The resolver to hand to mailauth (`resolver` option). */
  readonly resolve = async (name: string, rrtype: string): Promise<unknown[]> => {
    const key = name.toLowerCase().replace(/\.$/, '');
    this.queries.push(`${rrtype} ${key}`);
    const byType = this.records.get(key);
    if (!byType) throw dnsError('ENOTFOUND', name, rrtype);
    const found = byType.get(rrtype.toUpperCase());
    if (!found || found.length === 0) throw dnsError('ENODATA', name, rrtype);
    return found.map((r) => (Array.isArray(r) ? [...(r as unknown[])] : r));
  };

  private add(name: string, rrtype: string, value: unknown): void {
    const key = name.toLowerCase();
    const byType = this.records.get(key) ?? new Map<string, unknown[]>();
    byType.set(rrtype, [...(byType.get(rrtype) ?? []), value]);
    this.records.set(key, byType);
  }
}

/** TXT strings longer than 255 bytes come in several character-strings (RFC 1035 3.3.14). */
function chunks(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255));
  return out.length > 0 ? out : [''];
}

function dnsError(code: 'ENOTFOUND' | 'ENODATA', name: string, rrtype: string): Error {
  return Object.assign(new Error(`query${rrtype} ${code} ${name}`), { code, hostname: name });
}
