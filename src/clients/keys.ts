// A client's public keys (jwks) as the registry judges them: which can verify what, and which are too weak to
// register. oidc-provider keeps every key it can parse and only finds out at the first assertion that jose will not
// verify with it (RSA under 2048 bits) or that no key fits the algorithm: a bare 401 invalid_client, long after the
// operator approved the client. Keys behind a jwks_uri are fetched when first needed and are not judged here.

export interface PublicJwk {
  kty?: unknown;
  crv?: unknown;
  n?: unknown;
  use?: unknown;
  alg?: unknown;
  key_ops?: unknown;
}

/** FAPI 2.0 §5.4.1: RSA keys of at least 2048 bits (jose verifies and encrypts with nothing shorter). */
export const MIN_RSA_BITS = 2048;
/** The curves oidc-provider reads EC keys on (lib/models/client.js, EC_CURVES): all of at least 224 bits. */
const EC_CURVES = new Set(['P-256', 'P-384', 'P-521']);
/** The curve and key type each signing algorithm a client may use needs. */
const SIGNING_KEYS: Record<string, { kty: string; crv?: string }> = {
  PS256: { kty: 'RSA' },
  RS256: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};
/** What a key of this curve signs, for the refusal's explanation. */
const CURVE_SIGNS: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', Ed25519: 'Ed25519' };

export function keysOf(jwks: unknown): PublicJwk[] {
  const keys = (jwks as { keys?: unknown } | undefined)?.keys;
  return Array.isArray(keys) ? keys.filter((key): key is PublicJwk => typeof key === 'object' && key !== null) : [];
}

/** The RSA modulus length in bits, or undefined when `n` is not base64url text. */
export function rsaBits(n: unknown): number | undefined {
  if (typeof n !== 'string' || !/^[A-Za-z0-9_-]+$/.test(n)) return undefined;
  const bytes = Buffer.from(n, 'base64url');
  const first = bytes.findIndex((byte) => byte !== 0);
  if (first === -1) return 0;
  return (bytes.length - first) * 8 - Math.clz32(bytes[first]!) + 24;
}

/** Why this key can never be used here (too short, a curve the provider does not read), or undefined. */
export function weakness(key: PublicJwk): string | undefined {
  if (key.kty === 'RSA') {
    const bits = rsaBits(key.n);
    if (bits !== undefined && bits < MIN_RSA_BITS) return `is a ${bits}-bit RSA key: at least ${MIN_RSA_BITS} bits are needed (FAPI 2.0 §5.4.1; shorter keys verify nothing here)`;
  }
  if (key.kty === 'EC' && typeof key.crv === 'string' && !EC_CURVES.has(key.crv)) {
    return `is on curve ${key.crv}, which this provider does not read: EC keys are P-256, P-384 or P-521`;
  }
  return undefined;
}

/** Whether the key can verify signatures made with `alg` (its type, curve, size, `use`, `alg` and `key_ops` allow it). */
export function canVerify(key: PublicJwk, alg: string): boolean {
  const needs = SIGNING_KEYS[alg];
  if (!needs || key.kty !== needs.kty || (needs.crv !== undefined && key.crv !== needs.crv)) return false;
  if (key.use === 'enc' || (key.alg !== undefined && key.alg !== alg)) return false;
  if (Array.isArray(key.key_ops) && !key.key_ops.includes('verify')) return false;
  return needs.kty !== 'RSA' || (rsaBits(key.n) ?? 0) >= MIN_RSA_BITS;
}

/** The first of `algs` some key in the set verifies, taking the keys in their order; undefined when none does. */
export function signingAlgFor(keys: PublicJwk[], algs: readonly string[]): string | undefined {
  for (const key of keys) {
    const alg = algs.find((candidate) => canVerify(key, candidate));
    if (alg) return alg;
  }
  return undefined;
}

/** A sentence on what the set's signing keys could sign instead, for a refusal ("its P-384 key signs ES384"). */
export function whatKeysSign(keys: PublicJwk[]): string {
  const described = keys
    .filter((key) => key.use !== 'enc')
    .map((key) => (key.kty === 'RSA' ? `an RSA key of ${rsaBits(key.n) ?? '?'} bits` : typeof key.crv === 'string' ? `a ${key.crv} key (${CURVE_SIGNS[key.crv] ?? 'no algorithm offered here'})` : `a ${String(key.kty)} key`));
  return described.length ? `it has ${described.join(', ')}` : 'it has no signing key';
}
