/**
 * Trust: is the mail really from the domain of its From address? (issue 5, "Identify")
 *
 * A mail whose From fails DMARC, or whose domain publishes p=reject|quarantine and nothing
 * aligns (which DMARC reports as a fail), is identified as `unverified`: never as the known
 * user or contact it names. What an unverified sender may still do is the mailbox's trust
 * policy, `trust.unverifiedMay`, a list of actions out of create | update | reopen | close,
 * default [create]:
 *   - create: open a new record, with the claimed address only as its requester's text;
 *   - update: add to an existing record (comment, attachments, route) as that sender;
 *   - reopen: reopen a resolved or closed record;
 *   - close:  close or resolve a record (seed 001's "close" words in a reply).
 * Anything not listed turns into a new record (when create is allowed) or stops the mail,
 * and the trace says which. So by default a forged From of a known user can open a ticket
 * that a person then looks at, but cannot comment on, reopen or close that user's records.
 * `verified` and `unknown` (no DMARC record: nothing proves or disproves the From) are not
 * limited by this policy; the whitelist and the record's own rules still apply.
 */
import type { DNSResolver } from 'mailauth';
import { trustedAuthenticationResults } from './authentication-results.ts';
import { findingsFromHeader } from './header-check.ts';
import { checkWithMailauth } from './mailauth-check.ts';
import { clientFromReceived, relayMatcher, unmapped } from './received-hop.ts';
import {
  judgeFindings,
  type AuthFindings,
  type DkimFinding,
  type DmarcFinding,
  type SpfFinding,
  type Verdict,
} from './trust-verdict.ts';

export type { DkimFinding, DmarcFinding, SpfFinding, Verdict } from './trust-verdict.ts';

export interface TrustInput {
  raw: Buffer | (() => NodeJS.ReadableStream);
  /** the From address identify goes by (lower case); null when the mail has none */
  fromAddress: string | null;
  /** the SMTP session, when the mail came in through our SMTP intake */
  envelope: { remoteAddress: string | null; helo: string | null; mailFrom: string | null } | null;
  /** header name (lower case) → values, topmost first */
  headers: Record<string, string[]>;
}

export interface TrustSettings {
  mode: 'verify' | 'trust-header' | 'off';
  /** authserv-ids of MTAs whose Authentication-Results we believe (RFC 8601 2.5) */
  trustedAuthservIds: string[];
  /** IPs or CIDRs of relays whose Received hop gives the client IP */
  trustedRelays: string[];
  /** DNS for mailauth: (name, rrtype) → records as node:dns resolve() gives them; tests pass a stub */
  resolver?: (name: string, rrtype: string) => Promise<unknown>;
}

export interface TrustVerdict {
  verdict: Verdict;
  dkim: DkimFinding[];
  spf: SpfFinding | null;
  dmarc: DmarcFinding | null;
  /** the client address SPF was checked for, and null when it was not */
  clientIp: string | null;
  /** human sentences for the decision trace */
  evidence: string[];
}

/** The actions a trust policy may grant; see the comment at the top of this file. */
export type TrustAction = 'create' | 'update' | 'reopen' | 'close';

/** True when a sender with this verdict may take this action under the mailbox's `unverifiedMay`. */
export function trustAllows(
  verdict: Verdict,
  action: TrustAction,
  unverifiedMay: readonly TrustAction[],
): boolean {
  return verdict !== 'unverified' || unverifiedMay.includes(action);
}

/** Checks the From domain of one mail: own DKIM/SPF/DMARC, a trusted MTA's header, or both. */
export async function assessTrust(input: TrustInput, settings: TrustSettings): Promise<TrustVerdict> {
  const evidence: string[] = [];
  const none = (verdict: Verdict, why: string): TrustVerdict => ({
    verdict,
    dkim: [],
    spf: null,
    dmarc: null,
    clientIp: null,
    evidence: [...evidence, why],
  });
  if (settings.mode === 'off') return none('unknown', 'trust checks are off for this mailbox');
  const fromDomain = domainOf(input.fromAddress);
  if (fromDomain === null) return none('unknown', 'the mail has no From domain to check');

  const sources: AuthFindings[] = [];
  let clientIp: string | null = null;

  if (settings.trustedAuthservIds.length > 0) {
    const [trusted] = trustedAuthenticationResults(
      input.headers['authentication-results'] ?? [],
      settings.trustedAuthservIds,
    );
    if (trusted) {
      evidence.push(`Authentication-Results from trusted ${trusted.authservId} read`);
      sources.push(findingsFromHeader(trusted, fromDomain));
    } else {
      evidence.push(`no Authentication-Results header from ${settings.trustedAuthservIds.join(', ')}`);
    }
  }

  if (settings.mode === 'verify') {
    const client = connectingClient(input, settings.trustedRelays);
    evidence.push(client.why);
    clientIp = client.ip;
    sources.push(
      await checkWithMailauth({
        raw: input.raw,
        ip: client.ip,
        helo: client.helo,
        mailFrom: client.mailFrom,
        // node:dns and the stubs give MX as objects, which mailauth's own type leaves out
        ...(settings.resolver ? { resolver: settings.resolver as DNSResolver } : {}),
      }),
    );
  }

  if (sources.length === 0) return none('unknown', 'nothing to judge the From domain by');
  const judged = sources.map((findings) => ({ findings, ...judgeFindings(findings, fromDomain) }));
  for (const j of judged) evidence.push(...describe(j.findings), j.why);
  // Either source passing proves the domain: a DKIM pass cannot be forged, and the trusted MTA
  // saw the mail before anything on our side (a disclaimer, a list footer) could break it.
  // Otherwise a fail from either one stands.
  const decisive =
    judged.find((j) => j.verdict === 'verified') ??
    judged.find((j) => j.verdict === 'unverified') ??
    judged.at(-1)!;
  evidence.push(`sender ${decisive.verdict}`);
  const { dkim, spf, dmarc } = decisive.findings;
  return { verdict: decisive.verdict, dkim, spf, dmarc, clientIp, evidence };
}

interface Client {
  ip: string | null;
  helo: string | null;
  mailFrom: string | null;
  why: string;
}

/**
 * The host SPF is checked for: the SMTP peer, unless that peer is one of our trusted relays
 * (or there is no SMTP session: POP3, IMAP, a pipe), in which case the Received hop where a
 * trusted relay took the mail from an untrusted host. With no relay configured the headers
 * of a fetched mail are all the sender's word, and SPF is left out.
 */
function connectingClient(input: TrustInput, trustedRelays: readonly string[]): Client {
  const isTrusted = relayMatcher(trustedRelays);
  const envelope = input.envelope;
  const peer = envelope?.remoteAddress ? unmapped(envelope.remoteAddress) : null;
  if (peer !== null && !isTrusted(peer)) {
    return {
      ip: peer,
      helo: envelope?.helo ?? null,
      mailFrom: envelope?.mailFrom ?? null,
      why: `client IP ${peer} from the SMTP connection`,
    };
  }
  if (peer === null && trustedRelays.length === 0) {
    return {
      ip: null,
      helo: null,
      mailFrom: null,
      why: 'no SMTP client and no trusted relay configured: SPF not checked',
    };
  }
  // the delivering MTA writes Return-Path from MAIL FROM at final delivery (RFC 5321 4.4)
  const mailFrom = envelope?.mailFrom ?? returnPath(input.headers['return-path']?.[0]);
  const hop = clientFromReceived(input.headers['received'] ?? [], isTrusted);
  if (hop === null) {
    return {
      ip: null,
      helo: null,
      mailFrom,
      why: 'no Received hop names a client outside the trusted relays: SPF not checked',
    };
  }
  return {
    ip: hop.ip,
    helo: hop.helo,
    mailFrom,
    why: `client IP ${hop.ip} from Received header ${hop.index + 1}, written by a trusted relay`,
  };
}

function describe(f: AuthFindings): string[] {
  const by = f.source === 'header' ? ' (trusted header)' : '';
  const out = f.dkim.map(
    (d) =>
      `DKIM d=${d.domain}${d.selector ? ` s=${d.selector}` : ''}: ${d.result}${d.aligned ? ', aligned with From' : ''}${by}`,
  );
  if (f.dkim.length === 0) out.push(`no DKIM signature${by}`);
  if (f.spf) out.push(`SPF for ${f.spf.domain}: ${f.spf.result}${by}`);
  if (f.dmarc)
    out.push(
      `DMARC for ${f.dmarc.domain}: ${f.dmarc.result}${f.dmarc.policy ? `, p=${f.dmarc.policy}` : ''}${by}`,
    );
  return out;
}

function domainOf(address: string | null): string | null {
  const at = address?.lastIndexOf('@') ?? -1;
  const domain =
    at >= 0
      ? address!
          .slice(at + 1)
          .trim()
          .toLowerCase()
      : '';
  return domain === '' ? null : domain;
}

function returnPath(value: string | undefined): string | null {
  const address = value?.replace(/[<>]/g, '').trim();
  return address ? address : null;
}
