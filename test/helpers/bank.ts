// A bank as a relying party: private_key_jwt, PAR and DPoP through openid-client 6, registered with bankClientDefaults.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { bankClientDefaults } from '../../src/clients/profiles.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import type { RunningProvider } from './provider.ts';
import { REDIRECT_URI } from './relying-party.ts';
import { signInThroughPages, UserAgent } from './user-agent.ts';

export const BANK_SCOPE = 'openid profile personal_id offline_access';
export const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;

type KeyPair = { publicKey: CryptoKey; privateKey: CryptoKey };

export interface Bank {
  clientId: string;
  config: oidc.Configuration;
  /** The key its client assertions are signed with. */
  authKey: KeyPair;
  /** Its ID token encryption key, when it registered one. */
  encryptionKey?: KeyPair;
}

export interface BankOptions {
  authAlg?: 'ES256' | 'PS256';
  idTokenAlg?: 'ES256' | 'PS256';
  /** Registers an encryption key and asks for encrypted ID tokens with this key management algorithm. */
  encrypt?: 'ECDH-ES' | 'RSA-OAEP-256';
}

/** Registers a FAPI-conformant bank (the registry's defaults) and configures openid-client for it. */
export async function registerBank(provider: RunningProvider, clientId: string, options: BankOptions = {}): Promise<Bank> {
  const authAlg = options.authAlg ?? 'ES256';
  const authKey = await generateKeyPair(authAlg);
  const keys: JWK[] = [{ ...(await exportJWK(authKey.publicKey)), use: 'sig', alg: authAlg, kid: 'auth' }];
  let encryptionKey: KeyPair | undefined;
  if (options.encrypt) {
    encryptionKey = await generateKeyPair(options.encrypt, options.encrypt === 'ECDH-ES' ? { crv: 'P-256' } : {});
    keys.push({ ...(await exportJWK(encryptionKey.publicKey)), use: 'enc', alg: options.encrypt, kid: 'enc' });
  }
  await provider.addClient(
    bankClientDefaults({
      client_id: clientId,
      client_name: `Ngân hàng ${clientId}`,
      redirect_uris: [REDIRECT_URI],
      scope: BANK_SCOPE,
      jwks: { keys },
      ...(options.idTokenAlg ? { id_token_signed_response_alg: options.idTokenAlg } : {}),
      ...(options.encrypt ? { id_token_encrypted_response_alg: options.encrypt, id_token_encrypted_response_enc: 'A256GCM' } : {}),
    }),
  );
  const config = await oidc.discovery(
    new URL(provider.url),
    clientId,
    { id_token_signed_response_alg: options.idTokenAlg ?? 'PS256' },
    oidc.PrivateKeyJwt(authKey.privateKey, { [oidc.modifyAssertion]: (header) => void (header.kid = 'auth') }),
    { execute: [oidc.allowInsecureRequests] },
  );
  oidc.enableNonRepudiationChecks(config);
  if (encryptionKey) oidc.enableDecryptingResponses(config, ['A256GCM'], { key: encryptionKey.privateKey, alg: options.encrypt!, kid: 'enc' });
  return { clientId, config, authKey, ...(encryptionKey ? { encryptionKey } : {}) };
}

export interface BankAuthorization {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

/** A pushed authorization request (PKCE S256), with a DPoP proof when a handle is given (the code is then bound to its key). */
export async function pushAuthorization(bank: Bank, dpop?: oidc.DPoPHandle, params: Record<string, string> = {}): Promise<BankAuthorization> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = await oidc.buildAuthorizationUrlWithPAR(
    bank.config,
    {
      redirect_uri: REDIRECT_URI,
      scope: BANK_SCOPE,
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    },
    dpop ? { DPoP: dpop } : {},
  );
  return { url, verifier, state, nonce };
}

/** The citizen signs in through the real pages and approves; returns the callback URL the bank receives. */
export function signIn(authorization: BankAuthorization): Promise<string> {
  return signInThroughPages(new UserAgent(), authorization.url.href, { username: an.personalId, password: SANDBOX_PASSWORD });
}

export function redeemAtBank(bank: Bank, authorization: BankAuthorization, callback: string, dpop?: oidc.DPoPHandle) {
  return oidc.authorizationCodeGrant(
    bank.config,
    new URL(callback),
    { pkceCodeVerifier: authorization.verifier, expectedState: authorization.state, expectedNonce: authorization.nonce },
    undefined,
    dpop ? { DPoP: dpop } : {},
  );
}

/** A DPoP proof made by hand (jose), for the requests openid-client would refuse to send. */
export async function dpopProof(
  key: KeyPair,
  claims: { htm: string; htu: string; ath?: string; jti?: string },
): Promise<string> {
  return new SignJWT({ jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
    .setIssuedAt()
    .sign(key.privateKey);
}
