// The device key a phone sends at enrolment: an EC P-256 public key for ES256, nothing else. Each refusal says
// what was wrong, for the app's developer; a private key sent by mistake is refused and never stored.
import { calculateJwkThumbprint, compactVerify, importJWK, type JWK } from 'jose';
import { timingSafeEqual } from 'node:crypto';

export type KeyCheck = { ok: true; jwk: JWK; jkt: string } | { ok: false; description: string };

const COORDINATE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, base64url without padding
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

export async function checkDeviceKey(input: unknown): Promise<KeyCheck> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, description: 'public_jwk must be a JWK object' };
  const jwk = input as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) {
    return { ok: false, description: 'public_jwk holds private key material: send the public key only; the private key never leaves the device' };
  }
  if (jwk.kty !== 'EC') return { ok: false, description: `public_jwk: kty must be "EC" (an ES256 key on P-256), not ${JSON.stringify(jwk.kty ?? null)}` };
  if (jwk.crv !== 'P-256') return { ok: false, description: `public_jwk: crv must be "P-256", not ${JSON.stringify(jwk.crv ?? null)}` };
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string' || !COORDINATE.test(jwk.x) || !COORDINATE.test(jwk.y)) {
    return { ok: false, description: 'public_jwk: x and y must be the 32-byte coordinates, base64url' };
  }
  if (jwk.alg !== undefined && jwk.alg !== 'ES256') return { ok: false, description: 'public_jwk: alg, when given, must be "ES256"' };
  if (jwk.use !== undefined && jwk.use !== 'sig') return { ok: false, description: 'public_jwk: use, when given, must be "sig"' };
  // Only the members that make the key are kept: nothing else the caller sent is stored.
  const key: JWK = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  try {
    // Refuses a point that is not on the curve.
    await importJWK(key, 'ES256');
  } catch {
    return { ok: false, description: 'public_jwk: not a valid P-256 point' };
  }
  return { ok: true, jwk: key, jkt: await calculateJwkThumbprint(key, 'sha256') };
}

/**
 * Whether `signature` is a compact JWS (ES256) by the key over exactly the challenge: possession of the private key,
 * proven without sending it.
 */
export async function signsChallenge(jwk: JWK, signature: string, challenge: string): Promise<boolean> {
  try {
    const { payload } = await compactVerify(signature, await importJWK(jwk, 'ES256'), { algorithms: ['ES256'] });
    const expected = Buffer.from(challenge);
    const given = Buffer.from(payload);
    return given.length === expected.length && timingSafeEqual(given, expected);
  } catch {
    return false;
  }
}
