import type { ParsedMessage } from '../../core/plan.ts';
import { recordNumbersIn } from '../../domain/records/record-number.ts';
import { checkMessageId } from '../../domain/records/signed-message-id.ts';
import { watermarkTokens } from '../../domain/records/watermark.ts';
import type { DecideContext, Identity } from '../context.ts';

/** One reason to believe a mail belongs to a record; strong evidence attaches on its own. */
export interface ReplyEvidence {
  kind: 'watermark' | 'thread-header' | 'subject-number';
  strength: 'strong' | 'weak';
  recordId: number;
  number: string;
  detail: string;
}

/** What was found, and what was looked at and set aside (a forged signed Message-ID). */
export interface EvidenceFinding {
  evidence: ReplyEvidence[];
  rejected: string[];
}

/**
 * Seed 001's reply tests, scored: a watermark of mail we sent (strong), In-Reply-To/References
 * naming mail we sent or stored (strong; our signed Message-IDs are verified, a forged one is
 * ignored), a record number in the subject of a reply (weak: anyone can type a number).
 */
export async function gatherReplyEvidence(
  ctx: DecideContext,
  parsed: ParsedMessage,
  replyPrefix: string | null,
): Promise<EvidenceFinding> {
  const evidence: ReplyEvidence[] = [];
  const rejected: string[] = [];

  for (const token of watermarkTokens(`${parsed.subject}\n${parsed.text}`)) {
    const recordId = await ctx.store.findWatermark(token);
    if (recordId === undefined) continue;
    const record = await ctx.store.getRecord(recordId);
    evidence.push({
      kind: 'watermark',
      strength: 'strong',
      recordId,
      number: record?.number ?? String(recordId),
      detail: `watermark …_${token.slice(0, 4)}… of mail we sent for ${record?.number ?? recordId}`,
    });
    break;
  }

  // The newest 100 are plenty to find the thread, and keep the lookup within any database's parameter limit.
  const candidates = [...new Set([...parsed.references, ...parsed.inReplyTo])].slice(-100).filter((id) => {
    const check = checkMessageId(id, ctx.signing.secret);
    if (check.kind === 'forged') rejected.push(`<${id}> looks like our Message-ID but its signature is wrong`);
    return check.kind !== 'forged';
  });
  if (candidates.length > 0) {
    const match = await ctx.store.findThread(candidates, ctx.message.id);
    if (match) {
      const record = await ctx.store.getRecord(match.recordId);
      const number = record?.number ?? String(match.recordId);
      const signed = checkMessageId(match.messageId, ctx.signing.secret).kind === 'ours';
      evidence.push({
        kind: 'thread-header',
        strength: 'strong',
        recordId: match.recordId,
        number,
        detail: `<${match.messageId}> is ${match.via === 'sent' ? `mail we sent${signed ? ' (signature verified)' : ''}` : 'a stored message'} of ${number}`,
      });
    }
  }

  if (replyPrefix) {
    for (const number of recordNumbersIn(parsed.subject, ctx.recordTypes)) {
      const record = await ctx.store.findRecordByNumber(number);
      if (!record) continue;
      evidence.push({
        kind: 'subject-number',
        strength: 'weak',
        recordId: record.id,
        number: record.number,
        detail: `"${replyPrefix}" and ${record.number} in the subject`,
      });
      break;
    }
  }
  return { evidence, rejected };
}

/**
 * Weak evidence alone attaches only for someone the record already knows: its requester or a
 * watcher. A stranger typing "Re: CASE0000042" gets a record of their own, so nobody can add
 * comments to a record by guessing its number.
 */
export async function mayUseWeakEvidence(
  ctx: DecideContext,
  identity: Identity | undefined,
  recordId: number,
  sender: string | null,
): Promise<{ allowed: boolean; why: string }> {
  if (!sender) return { allowed: false, why: 'the mail has no sender address' };
  if (identity?.trust === 'unverified')
    return { allowed: false, why: `${sender} is unverified (the From fails DMARC)` };
  const record = await ctx.store.getRecord(recordId);
  if (record && record.requester.toLowerCase() === sender.toLowerCase())
    return { allowed: true, why: `${sender} is the requester of ${record.number}` };
  if (await ctx.store.isWatcher(recordId, sender))
    return { allowed: true, why: `${sender} watches ${record?.number ?? recordId}` };
  if (identity?.party?.kind === 'user')
    return { allowed: true, why: `${sender} is a user (${identity.party.id})` };
  return {
    allowed: false,
    why: `${sender} is neither the requester nor a watcher of ${record?.number ?? recordId}`,
  };
}
