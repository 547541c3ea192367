import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'postroom_session';

/**
 * The UI's session cookie: an HMAC of the API token, not the token itself, so the cookie cannot
 * be replayed as a bearer token against /api, and changing http.token signs everyone out.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('postroom-ui-session-v1').digest('base64url');
}

/** Whether a cookie value is the current session (false when the API token is unset). */
export function isSession(cookie: string | undefined, token: string): boolean {
  if (token === '' || cookie === undefined) return false;
  const want = Buffer.from(sessionValue(token));
  const got = Buffer.from(cookie);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Whether a login attempt gave the token (hashed both sides: no length oracle). */
export function isToken(given: string, token: string): boolean {
  if (token === '') return false;
  const hash = (s: string): Buffer => createHmac('sha256', 'postroom-ui-login').update(s).digest();
  return timingSafeEqual(hash(given), hash(token));
}
