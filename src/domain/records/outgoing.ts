import type { SigningSettings } from '../../decide/context.ts';
import type { StoreWriter } from '../../store/store.ts';
import { signedMessageId } from './signed-message-id.ts';
import { newWatermark } from './watermark.ts';

// Counter name of watermark numbers; not a valid record type name, so it never collides.
const watermarkCounter = '~watermark';

export interface OutgoingIdentity {
  /** without angle brackets */
  messageId: string;
  /** to put in the body, e.g. Ref:MSG0000042_… */
  watermark: string;
}

/**
 * What every mail we send about a record carries: a signed Message-ID and a watermark, both
 * recorded (inside the caller's transaction) so that replies find the record again.
 */
export async function prepareOutgoing(
  tx: StoreWriter,
  record: { id: number; number: string },
  signing: SigningSettings,
  now: number,
): Promise<OutgoingIdentity> {
  const messageId = signedMessageId(record.number, signing.secret, signing.domain);
  const watermark = newWatermark(await tx.allocateNumber(watermarkCounter));
  await tx.recordSent(messageId, record.id, now);
  await tx.insertWatermark(watermark.token, record.id, now);
  return { messageId, watermark: watermark.text };
}
