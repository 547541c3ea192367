import { randomInt } from 'node:crypto';

/**
 * ServiceNow-style watermark in the body of mail we send, e.g. `Ref:MSG0140490_lRhI4zra325ws7oc8NwO`:
 * a running number for people, and a 20-character random token (about 119 bits) that maps to the
 * record and cannot be guessed, so a watermark in a reply is strong evidence.
 */
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const tokenLength = 20;
const found = /Ref:MSG\d{7,12}_([A-Za-z0-9]{20})(?![A-Za-z0-9])/g;

export function newWatermark(sequence: number): { text: string; token: string } {
  let token = '';
  for (let i = 0; i < tokenLength; i++) token += alphabet[randomInt(alphabet.length)];
  return { text: `Ref:MSG${String(sequence).padStart(7, '0')}_${token}`, token };
}

/** Tokens of every watermark in the text, in order, without repeats (at most 10: quoted history repeats them). */
export function watermarkTokens(text: string): string[] {
  const tokens = new Set<string>();
  for (const m of text.matchAll(found)) {
    if (m[1]) tokens.add(m[1]);
    if (tokens.size >= 10) break;
  }
  return [...tokens];
}
