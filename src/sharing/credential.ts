// The sharing credential: an SD-JWT VC (dc+sd-jwt) the provider signs with its current ES256 key (so anyone
// verifies it against /jwks), each attribute selectively disclosable, bound to the device key by cnf.jwk.
import { randomBytes } from 'node:crypto';
import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance, type SdJwtVcPayload } from '@sd-jwt/sd-jwt-vc';
import type { JWK } from 'jose';

/** Five minutes: long enough to walk to the counter, short enough that a photo of the code is soon worthless. */
export const SHARING_SECONDS = 300;
/** The key-binding JWT's audience: any counter (the holder does not know which one will scan the code). */
export const COUNTER_AUDIENCE = 'urn:vn:eid:counter';

export const credentialType = (issuer: string) => `${issuer}/credentials/identity`;

export interface IssuedCredential {
  /** The SD-JWT with every disclosure, ending in "~" (no key binding yet): what the device holds. */
  credential: string;
  /** The credential's jti: also the nonce its key-binding JWT must carry. */
  id: string;
  issuedAt: Date;
  expiresAt: Date;
}

/**
 * A disclosure's salt: 128 random bits, base64url (the SD-JWT specification recommends at least 128). Counters see
 * the digests of the disclosures the citizen did not show (age_over_18, birthdate): with the library's generateSalt,
 * which @sd-jwt calls for 16 hex characters (64 bits), those were far cheaper to guess. The length asked is ignored.
 */
const salt = (): string => randomBytes(16).toString('base64url');

export async function issueCredential(input: {
  issuer: string;
  /** The provider's active ES256 private key (with kid). */
  signingKey: JWK;
  /** The device's public key (EC P-256). */
  deviceKey: JWK;
  values: Record<string, unknown>;
  now: Date;
}): Promise<IssuedCredential> {
  const { d: _d, ...publicDeviceKey } = input.deviceKey;
  const id = randomBytes(16).toString('base64url');
  const iat = Math.floor(input.now.getTime() / 1000);
  const exp = iat + SHARING_SECONDS;
  const instance = new SDJwtVcInstance({ signer: await ES256.getSigner(input.signingKey), signAlg: 'ES256', hasher: digest, hashAlg: 'sha-256', saltGenerator: salt });
  const cnfKey = { kty: publicDeviceKey.kty, crv: publicDeviceKey.crv, x: publicDeviceKey.x, y: publicDeviceKey.y };
  const payload: SdJwtVcPayload = { iss: input.issuer, vct: credentialType(input.issuer), jti: id, iat, exp, cnf: { jwk: cnfKey }, ...input.values };
  // The frame's type lists the payload's literal keys; the chosen attributes are only known at run time.
  const frame = { _sd: Object.keys(input.values) } as Parameters<typeof instance.issue<SdJwtVcPayload>>[1];
  const credential = await instance.issue(
    payload,
    frame,
    { header: { kid: input.signingKey.kid } },
  );
  return { credential, id, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) };
}
