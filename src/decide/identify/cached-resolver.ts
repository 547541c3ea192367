import { promises as dns } from 'node:dns';

// A resolver that cannot answer must not hold every message for the system default (5 s × 4 tries).
const resolver = new dns.Resolver({ timeout: 2000, tries: 2 });

type Resolve = (name: string, rrtype: string) => Promise<unknown>;

const positiveTtlMs = 5 * 60_000;
const negativeTtlMs = 60_000;
// A timeout or a refusing server is remembered briefly: an outage then costs one wait per name, not one per mail.
const failureTtlMs = 30_000;
const maxEntries = 10_000;

/**
 * The system resolver with a small in-process cache. mailauth asks again for every message, and
 * a mailbox gets most of its mail from few domains: without a cache each message waits for the
 * same DMARC, SPF and DKIM-key lookups. Answers live 5 minutes, "no such record" 1 minute
 * (short, so a domain that just published DMARC is seen soon), a timeout or server failure
 * 30 seconds.
 */
export function cachedResolver(resolve: Resolve = (name, rrtype) => resolver.resolve(name, rrtype)): Resolve {
  const cache = new Map<string, { until: number; value?: unknown; error?: unknown }>();
  return async (name, rrtype) => {
    const key = `${rrtype} ${name.toLowerCase()}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit && hit.until > now) {
      if (hit.error !== undefined) throw hit.error;
      return hit.value;
    }
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value ?? '');
    try {
      const value = await resolve(name, rrtype);
      cache.set(key, { until: now + positiveTtlMs, value });
      return value;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') cache.set(key, { until: now + negativeTtlMs, error });
      else cache.set(key, { until: now + failureTtlMs, error });
      throw error;
    }
  };
}

/** One cache per process: every mailbox and worker loop shares the answers. */
export const systemResolver: Resolve = cachedResolver();
