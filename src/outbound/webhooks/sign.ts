import { createHmac } from 'node:crypto';

/** What a try of one event carries besides its body. */
export interface SignInput {
  secret: string;
  eventId: string;
  /** 1 for the first try; starts over at 1 after a replay */
  attempt: number;
  /** unix seconds; part of the signed text, so a captured request cannot be replayed later */
  timestamp: number;
  /** the exact bytes that go on the wire */
  body: Buffer;
}

/**
 * HMAC-SHA256 over `${timestamp}.${body}`, hex. The timestamp is signed with the body (the scheme
 * Stripe and Svix use) so a receiver that rejects old timestamps also rejects replayed requests.
 */
export function signature(secret: string, timestamp: number, body: Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The request headers of one try; the names are documented in the README ("Webhooks"). */
export function signedHeaders(input: SignInput): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'postroom',
    'Idempotency-Key': input.eventId,
    'Postroom-Event-Id': input.eventId,
    'Postroom-Attempt': String(input.attempt),
    'Postroom-Timestamp': String(input.timestamp),
    // versioned, so a later scheme can be sent beside v1 while receivers move over
    'Postroom-Signature': `v1=${signature(input.secret, input.timestamp, input.body)}`,
  };
}
