import type { Identity, Stage, StageOutcome } from '../context.ts';
import type { DecideContext, Draft } from '../context.ts';
import { systemResolver } from './cached-resolver.ts';
import { assessTrust, type TrustVerdict } from './trust.ts';

const machineClasses = new Set(['auto_reply', 'challenge']);

/**
 * Stage 3 (seeds 001 and 004): who sent this, and may they? Auto-replies and locked-out users
 * are skipped; the mailbox's whitelist admits or rejects general mail; a sender whose From
 * fails DMARC is unverified and never taken for the directory entry it names.
 */
export const identifyStage: Stage = {
  name: 'identify',
  async run(ctx, draft) {
    const parsed = draft.parsed;
    if (!parsed) return { kind: 'continue' };
    const mailClass = draft.screening?.class ?? 'general';
    if (machineClasses.has(mailClass))
      return skip(draft, 'screening', `${mailClass === 'auto_reply' ? 'an auto-reply' : 'a challenge/response request'} is never processed (seed 001)`);

    const address = parsed.from?.address ?? ctx.message.from ?? null;
    const trust = await checkTrust(ctx, draft, address);
    const unverifiedMay = ctx.mailbox.trust?.unverifiedMay ?? ['create'];
    const identity: Identity = { address, party: null, guest: true, trust: trust.verdict, unverifiedMay };
    draft.identity = identity;

    const match = address && ctx.directory ? await ctx.directory.findPartyByAddress(address, ctx.addressSettings) : undefined;
    if (match && trust.verdict === 'unverified') {
      draft.trace.push({
        stage: 'identify',
        looked: `directory entry ${match.party.id} for ${address}`,
        concluded: 'unverified sender',
        why: 'the From fails DMARC, so the mail is not taken to be from that user or contact',
      });
    } else if (match) {
      identity.party = {
        id: match.party.id,
        kind: match.party.kind,
        name: match.party.name,
        companyId: match.party.companyId,
      };
      identity.guest = false;
      draft.trace.push({
        stage: 'identify',
        looked: `directory, ${address}`,
        concluded: `${match.party.kind} ${match.party.id} (${match.party.name})`,
        why: `matched ${match.address} ${match.via === 'exact' ? 'exactly' : `(${match.via})`}`,
      });
      if (match.lockedOut || match.party.lockedOut)
        return skip(draft, 'identify', `mail from locked-out ${match.party.kind} ${match.party.id} is skipped (seed 001)`);
    }

    if (mailClass !== 'general') return { kind: 'continue' };
    const admitted = await whitelist(ctx, draft, identity);
    if (admitted.kind !== 'continue') return admitted;
    if (identity.guest) autoCreate(ctx, draft, identity);
    if (identity.guest && !draft.createUser)
      draft.trace.push({
        stage: 'identify',
        looked: address ? `directory, ${address}` : 'From',
        concluded: 'guest',
        why: trust.verdict === 'unverified' ? 'unverified sender' : 'no user or contact has this address',
      });
    return { kind: 'continue' };
  },
};

async function checkTrust(ctx: DecideContext, draft: Draft, address: string | null): Promise<TrustVerdict> {
  const settings = ctx.mailbox.trust ?? { mode: 'off' as const, trustedAuthservIds: [], trustedRelays: [] };
  const verdict = await assessTrust(
    {
      raw: () => ctx.blobs.open(ctx.message.rawSha256),
      fromAddress: address,
      envelope: ctx.message.envelope,
      headers: draft.parsed?.headers ?? {},
    },
    { ...settings, resolver: ctx.resolver ?? systemResolver },
  );
  if (settings.mode !== 'off')
    draft.trace.push({
      stage: 'identify',
      looked: settings.mode === 'verify' ? 'DKIM, SPF, DMARC' : `Authentication-Results of ${settings.trustedAuthservIds.join(', ')}`,
      concluded: verdict.verdict,
      why: verdict.evidence.join('; ') || 'nothing to go by',
    });
  return verdict;
}

/** Seed 004's whitelist for general mail; rejected mail gets no answer unless a rule says so. */
async function whitelist(ctx: DecideContext, draft: Draft, identity: Identity): Promise<StageOutcome> {
  const mode = ctx.mailbox.whitelist ?? 'accept-all';
  if (mode === 'accept-all') return { kind: 'continue' };
  if (mode === 'reject-all') return reject(draft, mode, 'this mailbox takes no general mail (whitelist: reject-all)');
  if (!identity.guest) return { kind: 'continue' };
  if (mode === 'known-contacts-or-company' && identity.address && ctx.directory) {
    const domain = identity.address.slice(identity.address.lastIndexOf('@') + 1);
    const primaries = await ctx.directory.primaryContactsOfDomain(domain);
    if (primaries.length === 1 && identity.trust !== 'unverified') {
      draft.trace.push({
        stage: 'identify',
        looked: `primary contacts using @${domain}`,
        concluded: 'admitted',
        why: `exactly one primary contact (${primaries[0]?.id}) uses @${domain} (whitelist: ${mode})`,
      });
      return { kind: 'continue' };
    }
    return reject(
      draft,
      mode,
      `${identity.address} is not a known contact, and ${primaries.length === 0 ? 'no' : `${primaries.length}`} primary contact${primaries.length === 1 ? '' : 's'} use @${domain}${identity.trust === 'unverified' ? ' (and the sender is unverified)' : ''}`,
    );
  }
  return reject(draft, mode, `${identity.address ?? 'the sender'} is not a known contact`);
}

function autoCreate(ctx: DecideContext, draft: Draft, identity: Identity): void {
  const address = identity.address;
  const domains = ctx.mailbox.autoCreateUsersFrom ?? [];
  if (!address || domains.length === 0 || identity.trust === 'unverified') return;
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  if (!domains.some((d) => d.toLowerCase().replace(/^@/, '') === domain)) return;
  const name = draft.parsed?.from?.name || address;
  draft.createUser = { id: `auto:${address}`, name, address };
  identity.party = { id: draft.createUser.id, kind: 'user', name, companyId: null };
  identity.guest = false;
  draft.trace.push({
    stage: 'identify',
    looked: `autoCreateUsersFrom of ${ctx.mailbox.address}`,
    concluded: `create user ${draft.createUser.id}`,
    why: `${domain} is a trusted domain (seed 001: users created automatically)`,
  });
}

function skip(draft: Draft, looked: string, why: string): StageOutcome {
  draft.trace.push({ stage: 'identify', looked, concluded: 'skipped', why });
  return { kind: 'stop', state: 'skipped', why };
}

function reject(draft: Draft, mode: string, why: string): StageOutcome {
  draft.trace.push({ stage: 'identify', looked: `whitelist: ${mode}`, concluded: 'rejected', why });
  return { kind: 'stop', state: 'rejected', why };
}
