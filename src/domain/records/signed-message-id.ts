import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Message-IDs of mail we send: `pr.<record number>.<random>.<mac>@<domain>`. The MAC (HMAC-SHA256
 * over number and random part) lets a reply's In-Reply-To be trusted without a lookup, and a
 * made-up one ("pr.CASE0000042.x.y@…" typed by a stranger) be told apart from a real one.
 */
const pattern = /^pr\.([A-Z][A-Z0-9_-]{0,15}\d{1,12})\.([A-Za-z0-9_-]{8,32})\.([A-Za-z0-9_-]{22})@/;

export function signedMessageId(recordNumber: string, secret: string, domain: string): string {
  const nonce = randomBytes(9).toString('base64url');
  return `pr.${recordNumber}.${nonce}.${mac(secret, recordNumber, nonce)}@${domain}`;
}

export type SignedIdCheck = { kind: 'ours'; recordNumber: string } | { kind: 'forged' } | { kind: 'foreign' };

/** Whether a Message-ID (without angle brackets) is one we signed. */
export function checkMessageId(messageId: string, secret: string): SignedIdCheck {
  const m = pattern.exec(messageId);
  if (!m) return { kind: 'foreign' };
  const [, recordNumber = '', nonce = '', given = ''] = m;
  const expected = Buffer.from(mac(secret, recordNumber, nonce));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual)
    ? { kind: 'ours', recordNumber }
    : { kind: 'forged' };
}

function mac(secret: string, recordNumber: string, nonce: string): string {
  return createHmac('sha256', secret).update(`${recordNumber}.${nonce}`).digest('base64url').slice(0, 22);
}
