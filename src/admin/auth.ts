// Bearer tokens (RFC 6750 2.1): `Authorization: Bearer <token>` on every request when a token is
// set. The comparison takes the same time whatever the guess: both sides are hashed first, so
// timingSafeEqual always compares 32 octets and neither the token nor its length leaks.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A check for one token; null token: every request passes. */
export function bearerCheck(token: string | null): (authorization: string | undefined) => boolean {
  if (token === null) return () => true;
  const want = digest(token);
  return (authorization) => {
    // RFC 6750 2.1: the scheme is case-insensitive; one or more spaces before the token.
    const m = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    // Hash something even without a header, so a missing header costs what a wrong one does.
    return timingSafeEqual(digest(m ? m[1]! : ''), want) && m !== null;
  };
}
