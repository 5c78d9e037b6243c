// An HMAC under one secret key, remembering the digests of the inputs it saw last. Under load each HMAC costs
// 7–10 µs, nearly all of it OpenSSL setting the key up again with cold caches (about 2 µs in a tight loop), and
// the same inputs come back: a token's subject at every introspection and userinfo call, a session cookie at every
// step of a sign-in. Inputs are remembered, never the key; the oldest are forgotten first. Cookies are the
// caller's text: only inputs as short as a subject's or a cookie's own are remembered, so nobody can fill the
// memory with long ones.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** How many inputs each memo remembers, and the longest it remembers: a few MB at most each. */
export const HMAC_MEMO_SIZE = 8192;
export const HMAC_MEMO_LONGEST = 256;

export function hmacMemo(algorithm: 'sha1' | 'sha256', secret: string | KeyObject, size = HMAC_MEMO_SIZE): (data: string) => string {
  const key = typeof secret === 'string' ? createSecretKey(Buffer.from(secret, 'utf8')) : secret;
  const seen = new Map<string, string>();
  return (data) => {
    let digest = seen.get(data);
    if (digest === undefined) {
      digest = createHmac(algorithm, key).update(data).digest('base64url');
      if (data.length > HMAC_MEMO_LONGEST) return digest;
      // A Map keeps insertion order: the first key is the oldest.
      if (seen.size >= size) seen.delete(seen.keys().next().value!);
      seen.set(data, digest);
    }
    return digest;
  };
}
