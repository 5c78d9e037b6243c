// Checking a presentation as a counter would, against the public signing keys only: issuer signature and
// expiry, every disclosure's digest, the key binding to the device named in the credential. No database here:
// single use and withdrawal are checked after this by the sharing record (sharings.ts).
import { createHash } from 'node:crypto';
import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { isShareable } from './attributes.ts';
import { COUNTER_AUDIENCE, credentialType } from './credential.ts';

export type RefusalReason = 'malformed' | 'unknown_key' | 'tampered' | 'expired' | 'key_binding' | 'replayed' | 'revoked';

export type Verification =
  | { ok: true; id: string; claims: Record<string, unknown>; issuedAt: Date; expiresAt: Date }
  | { ok: false; reason: RefusalReason; detail: string };

/** Longest text accepted: the QR code cannot carry more than about 3 kB anyway. */
export const MAX_PRESENTATION = 8192;
// A key-binding JWT made this long before the credential, or this far in the future, was not made for it.
const KB_SKEW_SECONDS = 60;

const refuse = (reason: RefusalReason, detail: string): Verification => ({ ok: false, reason, detail });
const b64urlSha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
const code = (error: unknown) => (error as { code?: string }).code ?? '';

export async function verifyPresentation(input: string, context: { issuer: string; keys: readonly JWK[]; now: Date }): Promise<Verification> {
  // Scanners may wrap long text: whitespace is never part of an SD-JWT.
  const text = input.replace(/\s+/g, '');
  if (!text || text.length > MAX_PRESENTATION || !/^[\w.~-]+$/.test(text)) return refuse('malformed', 'not an SD-JWT presentation');
  const segments = text.split('~');
  const issuerJwt = segments[0]!;
  const keyBinding = segments.at(-1)!;
  const disclosures = segments.slice(1, -1);
  if (segments.length < 2) return refuse('malformed', 'not an SD-JWT presentation');
  if (!keyBinding) return refuse('key_binding', 'the presentation carries no key-binding JWT from the device');

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(issuerJwt);
  } catch {
    return refuse('malformed', 'the credential is not a JWT');
  }
  const jwk = context.keys.find((key) => key.kid === header.kid && key.alg === 'ES256');
  if (header.alg !== 'ES256' || !jwk) return refuse('unknown_key', 'the credential is not signed with a key this provider publishes');

  // 1. The provider's signature and the credential's validity window.
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(issuerJwt, await importJWK(jwk, 'ES256'), { algorithms: ['ES256'], typ: 'dc+sd-jwt', issuer: context.issuer, currentDate: context.now, requiredClaims: ['exp', 'iat', 'jti'] }));
  } catch (error) {
    if (code(error) === 'ERR_JWT_EXPIRED') return refuse('expired', 'the sharing has expired');
    if (code(error) === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return refuse('tampered', 'the provider\'s signature does not match the credential');
    return refuse('tampered', `the credential's claims are not valid: ${(error as Error).message}`);
  }
  const deviceJwk = (payload.cnf as { jwk?: JWK } | undefined)?.jwk;
  if (payload.vct !== credentialType(context.issuer) || !deviceJwk || !Array.isArray(payload._sd)) return refuse('malformed', 'not a sharing credential of this provider');

  // 2. Every disclosure must be one the provider signed (its digest listed once in _sd).
  const digests = new Set(payload._sd as string[]);
  const seen = new Set<string>();
  for (const disclosure of disclosures) {
    const hash = b64urlSha256(disclosure);
    if (!digests.has(hash) || seen.has(hash)) return refuse('tampered', 'a disclosure was changed or added after the provider signed the credential');
    seen.add(hash);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(disclosure, 'base64url').toString('utf8'));
    } catch {
      return refuse('malformed', 'a disclosure is not valid');
    }
    if (!Array.isArray(parsed) || parsed.length !== 3 || !isShareable(parsed[1])) return refuse('malformed', 'a disclosure is not valid');
  }

  // 3. The key binding: signed by the device key in cnf, for a counter, for this credential, over exactly these disclosures.
  let kb: JWTPayload;
  try {
    ({ payload: kb } = await jwtVerify(keyBinding, await importJWK(deviceJwk, 'ES256'), { algorithms: ['ES256'], typ: 'kb+jwt', currentDate: context.now, requiredClaims: ['iat', 'aud', 'nonce'] }));
  } catch (error) {
    if (code(error) === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return refuse('key_binding', 'the key-binding JWT is not signed by the device the credential was issued to');
    return refuse('key_binding', `the key-binding JWT is not valid: ${(error as Error).message}`);
  }
  if (kb.aud !== COUNTER_AUDIENCE || kb.nonce !== payload.jti) return refuse('key_binding', 'the key-binding JWT was made for another audience or another credential');
  if (kb.iat! < payload.iat! - KB_SKEW_SECONDS || kb.iat! > Math.floor(context.now.getTime() / 1000) + KB_SKEW_SECONDS) {
    return refuse('key_binding', 'the key-binding JWT was not made during the credential\'s validity');
  }
  if (kb.sd_hash !== b64urlSha256(text.slice(0, text.length - keyBinding.length))) {
    return refuse('tampered', 'the disclosures are not the ones the device signed');
  }

  // 4. The library's own verification, as a second opinion on all of the above.
  const instance = new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', verifier: await ES256.getVerifier(jwk), kbVerifier: await ES256.getVerifier(deviceJwk) });
  let claims: Record<string, unknown>;
  try {
    const result = await instance.verify(text, { currentDate: Math.floor(context.now.getTime() / 1000), keyBindingNonce: String(payload.jti) });
    claims = result.payload as Record<string, unknown>;
  } catch (error) {
    return refuse('tampered', `the SD-JWT does not verify: ${(error as Error).message}`);
  }
  const disclosed = Object.fromEntries(Object.entries(claims).filter(([name]) => isShareable(name)));
  return { ok: true, id: String(payload.jti), claims: disclosed, issuedAt: new Date(payload.iat! * 1000), expiresAt: new Date(payload.exp! * 1000) };
}
