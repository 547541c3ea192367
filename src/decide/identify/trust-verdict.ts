export type Verdict = 'verified' | 'unverified' | 'unknown';

export interface DkimFinding {
  /** d= */
  domain: string;
  /** s= (empty when an Authentication-Results header did not say) */
  selector: string;
  /** pass, fail, neutral, none, policy, temperror, permerror */
  result: string;
  /** the signing domain aligns with the From domain (RFC 7489 3.1.1) */
  aligned: boolean;
}

export interface SpfFinding {
  /** pass, fail, softfail, neutral, none, temperror, permerror */
  result: string;
  /** the MAIL FROM domain (or the HELO name for a null sender) */
  domain: string;
}

export interface DmarcFinding {
  /** pass, fail, none (no record), temperror, permerror */
  result: string;
  /** the policy in force for the From domain: none, quarantine, reject; null when no record */
  policy: string | null;
  /** the From (author) domain the result is about */
  domain: string;
}

/** What one source (our own check, or a trusted MTA's header) found, before judging. */
export interface AuthFindings {
  source: 'verify' | 'header';
  dkim: DkimFinding[];
  spf: SpfFinding | null;
  dmarc: DmarcFinding | null;
  /** why DMARC could not be evaluated at all: several From fields or author domains */
  dmarcSkipped: string | null;
}

/**
 * Judges one source's findings for the From domain the mail is identified by. DMARC decides
 * when the domain publishes a record. Without one, a passing DKIM signature or SPF check of
 * the From domain itself still proves the domain (that is all DMARC would have asked), but
 * nothing can prove it false: such a mail is `unknown`, not punished.
 */
export function judgeFindings(findings: AuthFindings, fromDomain: string): { verdict: Verdict; why: string } {
  const via = findings.source === 'header' ? 'the trusted MTA says ' : '';
  if (findings.dmarcSkipped !== null) {
    // RFC 7489 6.6.1: a mail with several author domains cannot pass DMARC, and is a known way
    // to show one address to the reader and have another one checked
    return { verdict: 'unverified', why: `${via}DMARC cannot be evaluated (${findings.dmarcSkipped})` };
  }
  const dmarc = findings.dmarc;
  if (dmarc !== null && dmarc.domain !== '' && dmarc.domain !== fromDomain) {
    // the checker read another From than the one we identify by (two From headers, a parser
    // difference): its verdict is about someone else
    return {
      verdict: 'unverified',
      why: `${via}DMARC was evaluated for ${dmarc.domain}, but the mail is identified as from ${fromDomain}`,
    };
  }
  const policy = dmarc?.policy ? ` (p=${dmarc.policy})` : '';
  if (dmarc?.result === 'pass')
    return { verdict: 'verified', why: `${via}DMARC passes for ${fromDomain}${policy}` };
  if (dmarc?.result === 'fail')
    return { verdict: 'unverified', why: `${via}DMARC fails for ${fromDomain}${policy}` };
  if (dmarc === null || dmarc.result === 'none') {
    const dkim = findings.dkim.find((d) => d.result === 'pass' && d.aligned);
    if (dkim) {
      return {
        verdict: 'verified',
        why: `${via}no DMARC record for ${fromDomain}, but a DKIM signature of ${dkim.domain} aligned with it passes`,
      };
    }
    if (findings.spf?.result === 'pass' && findings.spf.domain === fromDomain) {
      return {
        verdict: 'verified',
        why: `${via}no DMARC record for ${fromDomain}, but SPF passes for that domain itself`,
      };
    }
    return { verdict: 'unknown', why: `${via}no DMARC record for ${fromDomain} and nothing aligned passes` };
  }
  // temperror/permerror: a DNS outage or a broken record says nothing either way
  return { verdict: 'unknown', why: `${via}DMARC for ${fromDomain} gave ${dmarc.result}${policy}` };
}

/** Relaxed alignment without the Public Suffix List: the same domain, or one inside the other. */
export function relaxedAligned(signingDomain: string, fromDomain: string): boolean {
  const d = signingDomain.toLowerCase();
  const f = fromDomain.toLowerCase();
  return d === f || f.endsWith(`.${d}`) || d.endsWith(`.${f}`);
}
