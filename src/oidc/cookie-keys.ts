// The signer of oidc-provider's cookies (session, interaction, resume), in place of the Keygrip the cookies library
// builds from a list of keys: the same signatures (HMAC-SHA1, base64url), so cookies already out stay valid, but
// compared with one timingSafeEqual instead of Keygrip's double HMAC under a fresh random key. That comparison
// cost more per sign-in (about 1.4 ms of CPU for the cookies the flow reads) than rendering its pages.
import { timingSafeEqual } from 'node:crypto';
import { hmacMemo } from './hmac-memo.ts';

export interface CookieSigner {
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  /** Which key (newest first) made `digest` for `data`, -1 if none. */
  index(data: string, digest: string): number;
}

export function cookieSigner(keys: readonly string[]): CookieSigner {
  if (keys.length === 0) throw new Error('cookie signing needs at least one key');
  // A session cookie is read again at every step of a sign-in: its signature is remembered (hmac-memo.ts).
  const signers = keys.map((key) => hmacMemo('sha1', key));
  const index = (data: string, digest: string) => {
    if (typeof digest !== 'string') return -1;
    const given = Buffer.from(digest);
    for (let i = 0; i < signers.length; i++) {
      const expected = Buffer.from(signers[i]!(data));
      // The lengths are those of an HMAC, which are public: only the bytes need a constant-time comparison.
      if (given.length === expected.length && timingSafeEqual(given, expected)) return i;
    }
    return -1;
  };
  return {
    sign: (data) => signers[0]!(data),
    verify: (data, digest) => index(data, digest) > -1,
    index,
  };
}
