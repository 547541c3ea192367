import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './api-error.ts';

/**
 * Checks `Authorization: Bearer <token>` against the configured token. Both sides are hashed
 * first so the comparison takes the same time whatever the lengths (no length oracle).
 */
export function checkBearer(header: string | undefined, token: string): void {
  if (token === '')
    throw new ApiError(
      403,
      'api_disabled',
      'the API is off: set http.token (at least 16 characters) in postroom.config.yaml or POSTROOM_HTTP_TOKEN',
    );
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) throw new ApiError(401, 'unauthorized', 'send Authorization: Bearer <http.token>');
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  if (!timingSafeEqual(digest(match[1] ?? ''), digest(token)))
    throw new ApiError(401, 'unauthorized', 'the bearer token is not http.token');
}
