import type { AuthenticationResults } from './authentication-results.ts';
import { relaxedAligned, type AuthFindings, type DkimFinding } from './trust-verdict.ts';

/**
 * The findings of a trusted MTA's Authentication-Results header. Only the topmost trusted one
 * is read: it is the one our MTA wrote last, and a forged copy further down (had the MTA not
 * removed it) can only be older.
 */
export function findingsFromHeader(results: AuthenticationResults, fromDomain: string): AuthFindings {
  const dkim: DkimFinding[] = [];
  let spf: AuthFindings['spf'] = null;
  let dmarc: AuthFindings['dmarc'] = null;
  for (const entry of results.entries) {
    if (entry.method === 'dkim') {
      const domain = (entry.props['header.d'] ?? domainOf(entry.props['header.i'] ?? '')).toLowerCase();
      dkim.push({
        domain,
        selector: entry.props['header.s'] ?? '',
        result: entry.result,
        aligned: domain !== '' && relaxedAligned(domain, fromDomain),
      });
    } else if (entry.method === 'spf' && spf === null) {
      const identity = entry.props['smtp.mailfrom'] ?? entry.props['smtp.helo'] ?? '';
      spf = { result: entry.result, domain: domainOf(identity).toLowerCase() };
    } else if (entry.method === 'dmarc' && dmarc === null) {
      dmarc = {
        result: entry.result,
        policy: entry.props['policy.dmarc'] ?? policyFromComment(entry.comment),
        // an MTA that leaves header.from out reports on the From it saw, which is the one we read
        domain: (entry.props['header.from'] ?? fromDomain).toLowerCase(),
      };
    }
  }
  return { source: 'header', dkim, spf, dmarc, dmarcSkipped: null };
}

/** "user@example.com", "@example.com" or "example.com" → "example.com". */
function domainOf(identity: string): string {
  return identity
    .slice(identity.lastIndexOf('@') + 1)
    .replace(/[<>]/g, '')
    .trim();
}

/** Gmail and Microsoft write the policy only in the comment: `dmarc=fail (p=REJECT sp=REJECT dis=NONE)`. */
function policyFromComment(comment: string): string | null {
  const m = /\bp=(none|quarantine|reject)\b/i.exec(comment);
  return m?.[1]?.toLowerCase() ?? null;
}
