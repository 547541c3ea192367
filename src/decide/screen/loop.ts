import type { ParsedMessage } from '../../core/plan.ts';
import type { LoopDetails } from '../../core/screening.ts';
import type { DecideContext } from '../context.ts';

/**
 * Our own outgoing mail coming back: it carries an X-Postroom-* header (outbound stamps one on
 * everything it sends) or its Message-ID is one we sent.
 */
export async function findOwnMail(ctx: DecideContext, parsed: ParsedMessage): Promise<LoopDetails | null> {
  const stamp = Object.keys(parsed.headers).find((name) => name.startsWith('x-postroom-'));
  if (stamp)
    return { kind: 'signature', evidence: `${stamp} header: mail Postroom sent came back`, processed: false };
  if (parsed.messageId) {
    const sent = await ctx.store.findThread([parsed.messageId], ctx.message.id);
    if (sent?.via === 'sent')
      return {
        kind: 'signature',
        evidence: `Message-ID <${parsed.messageId}> is mail Postroom sent`,
        processed: false,
      };
  }
  return null;
}

const bulkImport: ReadonlySet<string> = new Set(['file', 'maildir', 'mbox']);

/**
 * Seed 000's loopback detection interval: a sender (or sender+subject) with more than
 * loopbackMaxMessages mails in the mailbox within the interval before this one is held. The
 * window ends at this message's own arrival and counts only earlier ones, so a replay or a
 * reprocess reaches the same verdict.
 */
export async function checkRate(ctx: DecideContext, parsed: ParsedMessage): Promise<LoopDetails | null> {
  const { mailbox, message } = ctx;
  const from = message.from ?? parsed.from?.address ?? null;
  if (mailbox.loopbackDetectionInterval <= 0 || !from) return null;
  // An admin importing an archive (postroom ingest of files, a Maildir or an mbox) is no storm.
  if (bulkImport.has(message.source)) return null;
  const intervalMs = mailbox.loopbackDetectionInterval * 1000;
  const bySubject = mailbox.loopbackKey === 'sender+subject';
  const earlier = await ctx.store.countSenderWindow({
    mailbox: message.mailbox,
    from,
    ...(bySubject ? { subject: message.subject ?? '' } : {}),
    since: message.receivedAt - intervalMs,
    until: message.receivedAt,
    excludeRef: message.id,
  });
  const count = earlier + 1;
  if (count <= mailbox.loopbackMaxMessages) return null;
  const key = bySubject ? `${from} with this subject` : from;
  return {
    kind: 'rate',
    evidence: `${count} mails from ${key} within ${mailbox.loopbackDetectionInterval}s (loopbackMaxMessages ${mailbox.loopbackMaxMessages})`,
    count,
    limit: mailbox.loopbackMaxMessages,
    intervalMs,
    processed: mailbox.processIfLoopbackDetected,
  };
}
