import { Readable } from 'node:stream';
import type { DNSResolver } from 'mailauth';
import type { AuthFindings } from './trust-verdict.ts';

export interface MailauthInput {
  raw: Buffer | (() => NodeJS.ReadableStream);
  /** the connecting client; null when unknown, and then SPF is not checked */
  ip: string | null;
  helo: string | null;
  /** MAIL FROM; '' for the null reverse-path, null when unknown */
  mailFrom: string | null;
  resolver?: DNSResolver;
}

/**
 * DKIM, SPF and DMARC with mailauth, reduced to the findings the verdict needs. ARC and BIMI
 * are left off: an ARC chain is only as good as its sealers, and we keep no list of them.
 * Errors are not caught here: a mail that makes the checker throw must not come out `unknown`
 * (and so be treated as the user it claims to be), so it goes to the runner like any fault.
 */
/**
 * Loads mailauth ahead of use. Workers call this before they claim any mail, so the first
 * message a worker takes does not wait most of a second for it (and is not lost to a crash in
 * that window over and over).
 */
export async function preloadMailauth(): Promise<void> {
  await import('mailauth');
}

export async function checkWithMailauth(input: MailauthInput): Promise<AuthFindings> {
  const message = typeof input.raw === 'function' ? Readable.from(input.raw()) : input.raw;
  // Loaded on first use: mailauth and its dependencies take most of a second to load, which
  // every worker would pay at start even with trust checks off.
  const { authenticate } = await import('mailauth');
  const result = await authenticate(message, {
    ...(input.ip !== null ? { ip: input.ip } : {}),
    ...(input.helo !== null ? { helo: input.helo } : {}),
    ...(input.mailFrom ? { sender: input.mailFrom } : {}),
    ...(input.resolver ? { resolver: input.resolver } : {}),
    // the authserv-id of the A-R text mailauth writes; we keep the findings, never that header
    mta: 'postroom',
    disableArc: true,
    disableBimi: true,
  });

  const spf =
    input.ip !== null && result.spf ? { result: result.spf.status.result, domain: result.spf.domain } : null;
  const dmarc = result.dmarc
    ? {
        result: result.dmarc.status.result,
        // mailauth leaves the policy out when there is no record
        policy: result.dmarc.policy || null,
        domain: (result.dmarc.status.header?.from ?? '').toLowerCase(),
      }
    : null;
  return {
    source: 'verify',
    dkim: result.dkim.results
      // "message not signed" comes back as one row with no domain
      .filter((r) => typeof r.signingDomain === 'string' && r.signingDomain !== '')
      .map((r) => ({
        domain: (r.signingDomain ?? '').toLowerCase(),
        selector: r.selector ?? '',
        result: r.status.result,
        aligned: typeof r.status.aligned === 'string' && r.status.aligned !== '',
      })),
    spf,
    dmarc,
    dmarcSkipped:
      result.dmarcSkipReason && result.dmarcSkipReason !== 'no-author-domain' ? result.dmarcSkipReason : null,
  };
}
