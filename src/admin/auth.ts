// Bearer tokens (RFC 6750 2.1): `Authorization: Bearer <token>` on every request when a token is
// set. The comparison takes the same time whatever the guess: both sides are hashed first, so
// timingSafeEqual always compares 32 octets and neither the token nor its length leaks.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * What a request's Authorization header is worth: `ok`; `missing` or `wrong` when a token is
 * set; `unexpected` when none is set and the request sends one anyway (a client that believes
 * it is protected, talking to a server that is not: an error, not silently accepted).
 */
export type BearerVerdict = 'ok' | 'missing' | 'wrong' | 'unexpected';

/** A check for one token; null token: requests must come without an Authorization header. */
export function bearerCheck(
  token: string | null,
): (authorization: string | undefined) => BearerVerdict {
  if (token === null) return (authorization) => (authorization === undefined ? 'ok' : 'unexpected');
  const want = digest(token);
  return (authorization) => {
    // RFC 6750 2.1: the scheme is case-insensitive; one or more spaces before the token.
    const m = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    // Hash something even without a header, so a missing header costs what a wrong one does.
    const same = timingSafeEqual(digest(m ? m[1]! : ''), want);
    if (same && m !== null) return 'ok';
    return authorization === undefined ? 'missing' : 'wrong';
  };
}
