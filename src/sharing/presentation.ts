// The holder's side (the app, the sandbox simulator, tests): keep only the disclosures to show and add the
// key-binding JWT signed by the device key, with the counter audience and the credential's jti as nonce.
import { digest, ES256 } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { decodeJwt, type JWK } from 'jose';
import { COUNTER_AUDIENCE } from './credential.ts';

export async function presentCredential(credential: string, devicePrivateKey: JWK, options: { now: Date; show?: readonly string[] }): Promise<string> {
  const payload = decodeJwt(credential.split('~')[0]!);
  const instance = new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', kbSigner: await ES256.getSigner(devicePrivateKey), kbSignAlg: 'ES256' });
  const frame = options.show ? Object.fromEntries(options.show.map((name) => [name, true])) : undefined;
  return instance.present(credential, frame, {
    kb: { payload: { iat: Math.floor(options.now.getTime() / 1000), aud: COUNTER_AUDIENCE, nonce: String(payload.jti) } },
  });
}
