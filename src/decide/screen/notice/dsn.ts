import type { NoticeRecipient } from '../../../core/screening.ts';
import { field, readFieldBlocks, typedAddress, typedValue } from './dsn-fields.ts';
import { isHard, reasonFor } from './reason.ts';
import { findReplyCode, findStatus, statusAfterReply } from './smtp-codes.ts';

export interface DeliveryStatus {
  reportingMta: string | null;
  originalEnvelopeId: string | null;
  recipients: NoticeRecipient[];
  originalRecipients: string[];
}

/** The fields of an RFC 3464 message/delivery-status part, one entry per recipient block. */
export function readDeliveryStatus(text: string): DeliveryStatus {
  const blocks = readFieldBlocks(text);
  let reportingMta: string | null = null;
  let envelopeId: string | null = null;
  const recipients: NoticeRecipient[] = [];
  const originalRecipients: string[] = [];
  const originalCounts = new Map<string, number>();
  for (const block of blocks) {
    const original = typedAddress(field(block, 'original-recipient'));
    if (original) originalCounts.set(original, (originalCounts.get(original) ?? 0) + 1);
  }
  for (const block of blocks) {
    if (block.has('reporting-mta')) reportingMta ??= typedValue(field(block, 'reporting-mta')) || null;
    if (block.has('original-envelope-id')) envelopeId ??= field(block, 'original-envelope-id') || null;
    // The address the sender wrote (RFC 3464 Original-Recipient) is the one its system knows;
    // Final-Recipient may be an alias target it never saw. When one original was expanded to
    // several finals (a list, a multi-target alias), the finals tell which member failed.
    const original = typedAddress(field(block, 'original-recipient'));
    const own = plainAddress.test(original) && (originalCounts.get(original) ?? 0) === 1;
    const address = (own ? original : '') || typedAddress(field(block, 'final-recipient')) || original;
    if (!address) continue;
    const diagnostic = typedValue(field(block, 'diagnostic-code')).slice(0, 1000);
    const status = statusOf(field(block, 'status'), diagnostic);
    const replyCode = findReplyCode(diagnostic);
    const action = actionOf(field(block, 'action'), status);
    const reason = reasonFor(status, diagnostic, action);
    recipients.push({
      address,
      status,
      replyCode,
      hard: action === 'failed' && isHard(reason, status, replyCode),
      reason,
      action,
      diagnostic,
    });
    originalRecipients.push(typedAddress(field(block, 'original-recipient')));
  }
  return { reportingMta, originalEnvelopeId: envelopeId, recipients, originalRecipients };
}

/** A whole address as a sender writes it; Original-Recipient sometimes holds a fragment. */
const plainAddress = /^(?:"[^"]{1,64}"|[^\s"@:;<>(),\[\]]{1,64})@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;

/**
 * The remote server's own code from the diagnostic when there is one, else the Status field:
 * reporting MTAs often put a generic or guessed code in Status (5.0.0, or 5.1.1 for a
 * 550 5.7.1 refusal) and relay the real one only in the diagnostic.
 */
function statusOf(value: string, diagnostic: string): string {
  const own = findStatus(value);
  const said = statusAfterReply(diagnostic) || findStatus(diagnostic);
  if (said && !said.startsWith('2')) return said;
  return own || said;
}

function actionOf(value: string, status: string): string {
  const action = value.toLowerCase().split(/[\s(;]/)[0] ?? '';
  if (action) return action;
  if (status.startsWith('5')) return 'failed';
  if (status.startsWith('4')) return 'delayed';
  if (status.startsWith('2')) return 'delivered';
  return 'failed';
}
