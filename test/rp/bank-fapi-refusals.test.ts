// Every way a bank can fall short of FAPI 2.0, refused with the error the specifications name. Requests openid-client
// would refuse to send are made by hand (fetch, with DPoP proofs and client assertions made with jose).
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { ClientMetadata } from 'oidc-provider';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankClientDefaults } from '../../src/clients/profiles.ts';
import { dpopProof, pushAuthorization, redeemAtBank, registerBank, signIn, BANK_SCOPE, type Bank } from '../helpers/bank.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { REDIRECT_URI } from '../helpers/relying-party.ts';
import { UserAgent } from '../helpers/user-agent.ts';

let testDb: TestDatabase;
let provider: RunningProvider;
let bank: Bank;
let dpopKey: Awaited<ReturnType<typeof generateKeyPair>>;
/** Why the provider refused a grant, from its grant.error event (the answer's error_description carries it too). */
const grantErrors: string[] = [];
let tokens: oidc.TokenEndpointResponse;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb);
  provider.provider.on('grant.error', (_ctx, error: { error_detail?: string }) => grantErrors.push(error.error_detail ?? ''));
  bank = await registerBank(provider, 'bank-strict');
  dpopKey = await generateKeyPair('ES256');
  const dpop = oidc.getDPoPHandle(bank.config, dpopKey);
  const authorization = await pushAuthorization(bank, dpop);
  tokens = await redeemAtBank(bank, authorization, await signIn(authorization), dpop);
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

const tokenEndpoint = () => `${provider.url}/token`;
const userinfoEndpoint = () => `${provider.url}/me`;
const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A private_key_jwt client assertion made by hand. */
function clientAssertion(audience = provider.url) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: 'auth' })
    .setIssuer(bank.clientId)
    .setSubject(bank.clientId)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt()
    .setNotBefore('0s')
    .setExpirationTime('60s')
    .sign(bank.authKey.privateKey);
}

/** A refresh request at the token endpoint, with the proof (if any) and the client assertion given. */
async function refreshByHand(proof: string | undefined, assertion?: string) {
  const response = await fetch(tokenEndpoint(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(proof ? { dpop: proof } : {}) },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion ?? (await clientAssertion()),
    }),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; error_description?: string } };
}

/** Userinfo with the access token under a scheme, and a proof if any; the error is read from WWW-Authenticate. */
async function userinfoByHand(scheme: 'DPoP' | 'Bearer', proof?: string) {
  const response = await fetch(userinfoEndpoint(), {
    headers: { authorization: `${scheme} ${tokens.access_token}`, ...(proof ? { dpop: proof } : {}) },
  });
  const challenge = response.headers.get('www-authenticate') ?? '';
  return { status: response.status, challenge, error: /error="([^"]+)"/.exec(challenge)?.[1] };
}

describe('bank registration (invalid_client_metadata, naming the field)', () => {
  const base = () => bankClientDefaults({ client_id: 'bank-x', redirect_uris: [REDIRECT_URI], scope: BANK_SCOPE, jwks: { keys: [] } });
  it.each<[string, Record<string, unknown>]>([
    ['token_endpoint_auth_method', { token_endpoint_auth_method: 'client_secret_basic', client_secret: 'a-shared-secret' }],
    ['token_endpoint_auth_signing_alg', { token_endpoint_auth_signing_alg: 'RS256' }],
    ['dpop_bound_access_tokens', { dpop_bound_access_tokens: false }],
    ['require_pushed_authorization_requests', { require_pushed_authorization_requests: false }],
    ['id_token_signed_response_alg', { id_token_signed_response_alg: 'RS256' }],
  ])('refuses a bank with a non-conformant %s', async (field, change) => {
    await expect(provider.provider.Client.validate({ ...base(), ...change } as ClientMetadata)).rejects.toMatchObject({
      error: 'invalid_client_metadata',
      error_description: expect.stringContaining(field),
    });
  });

  it('refuses a bank registered without the FAPI fields (they default to client_secret_basic)', async () => {
    await expect(
      provider.provider.Client.validate({ client_id: 'bank-y', client_secret: 's', profile: 'bank', redirect_uris: [REDIRECT_URI] }),
    ).rejects.toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringContaining('token_endpoint_auth_method must be private_key_jwt') });
  });

  it('refuses, at PAR and at the authorization endpoint, a bank stored without the FAPI fields (never a 500)', async () => {
    await provider.addClient({ client_id: 'bank-loose', client_secret: 'a-shared-secret', profile: 'bank', redirect_uris: [REDIRECT_URI], scope: 'openid' });
    const loose = await oidc.discovery(new URL(provider.url), 'bank-loose', undefined, oidc.ClientSecretBasic('a-shared-secret'), {
      execute: [oidc.allowInsecureRequests],
    });
    const pkce = { code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' };
    await expect(oidc.buildAuthorizationUrlWithPAR(loose, { redirect_uri: REDIRECT_URI, scope: 'openid', ...pkce })).rejects.toMatchObject({
      status: 400,
      error: 'invalid_client_metadata',
      error_description: 'token_endpoint_auth_method must be private_key_jwt for a bank client (FAPI 2.0)',
    });
    const { page } = await new UserAgent().follow(oidc.buildAuthorizationUrl(loose, { redirect_uri: REDIRECT_URI, scope: 'openid', ...pkce }).href, provider.url);
    expect(page?.status).toBe(400);
    expect(page?.html).toContain('invalid_client_metadata');
  });

  it('accepts what bankClientDefaults fills in', async () => {
    const keys = (await provider.provider.Client.find('bank-strict'))!.metadata();
    // The defaults pick the assertion algorithm from the keys (ES256 for this P-256 key).
    const withKeys = bankClientDefaults({ client_id: 'bank-x', redirect_uris: [REDIRECT_URI], scope: BANK_SCOPE, jwks: keys.jwks });
    expect(withKeys.token_endpoint_auth_signing_alg).toBe('ES256');
    await expect(provider.provider.Client.validate(withKeys)).resolves.toBeUndefined();
  });
});

describe('bank requests refused', () => {
  it('an authorization request without PAR: invalid_request', async () => {
    const url = oidc.buildAuthorizationUrl(bank.config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: 's1',
    });
    const step = await new UserAgent().follow(url.href, provider.url);
    const answer = new URL(step.redirect!).searchParams;
    expect(answer.get('error')).toBe('invalid_request');
    expect(answer.get('error_description')).toBe('Pushed Authorization Request must be used');
    expect(answer.get('iss')).toBe(provider.url);
  });

  it('a pushed request without PKCE, or with the plain method: invalid_request', async () => {
    const withoutPkce = { redirect_uri: REDIRECT_URI, scope: 'openid', state: 's2' };
    await expect(oidc.buildAuthorizationUrlWithPAR(bank.config, withoutPkce)).rejects.toMatchObject({
      status: 400,
      error: 'invalid_request',
      error_description: expect.stringContaining('PKCE'),
    });
    await expect(
      oidc.buildAuthorizationUrlWithPAR(bank.config, { ...withoutPkce, code_challenge: oidc.randomPKCECodeVerifier(), code_challenge_method: 'plain' }),
    ).rejects.toMatchObject({ status: 400, error: 'invalid_request' });
  });

  it('client_secret_basic at PAR and at the token endpoint: invalid_client', async () => {
    const withSecret = await oidc.discovery(new URL(provider.url), bank.clientId, undefined, oidc.ClientSecretBasic('a-guessed-secret'), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    await expect(
      oidc.buildAuthorizationUrlWithPAR(withSecret, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }),
    ).rejects.toMatchObject({ status: 401, cause: [expect.objectContaining({ scheme: 'basic', parameters: expect.objectContaining({ error: 'invalid_client' }) })] });
    const dpop = oidc.getDPoPHandle(withSecret, dpopKey);
    await expect(oidc.refreshTokenGrant(withSecret, tokens.refresh_token!, undefined, { DPoP: dpop })).rejects.toMatchObject({
      status: 401,
      cause: [expect.objectContaining({ parameters: expect.objectContaining({ error: 'invalid_client' }) })],
    });
  });

  it('a client assertion audienced to the token endpoint instead of the issuer (FAPI 2.0): invalid_client', async () => {
    const proof = await dpopProof(dpopKey, { htm: 'POST', htu: tokenEndpoint() });
    const answer = await refreshByHand(proof, await clientAssertion(tokenEndpoint()));
    expect(answer).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('a code redeemed without a DPoP proof, or with another key than the one pushed: invalid_grant', async () => {
    // No proof at PAR: the code is not bound to a key, and dpop_bound_access_tokens still demands a proof.
    const unbound = await pushAuthorization(bank);
    await expect(redeemAtBank(bank, unbound, await signIn(unbound))).rejects.toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(grantErrors.at(-1)).toBe('DPoP proof JWT not provided');
    // A proof at PAR binds the code (dpop_jkt): another key cannot redeem it.
    const bound = await pushAuthorization(bank, oidc.getDPoPHandle(bank.config, dpopKey));
    const otherKey = oidc.getDPoPHandle(bank.config, await generateKeyPair('ES256'));
    // The bank reads why (README: bank profile), not only that.
    await expect(redeemAtBank(bank, bound, await signIn(bound), otherKey)).rejects.toMatchObject({
      status: 400,
      error: 'invalid_grant',
      error_description: 'grant request is invalid: DPoP proof key thumbprint does not match dpop_jkt',
    });
    expect(grantErrors.at(-1)).toBe('DPoP proof key thumbprint does not match dpop_jkt');
  });

  it('a refresh request without a DPoP proof: invalid_grant (no bearer fallback)', async () => {
    await expect(oidc.refreshTokenGrant(bank.config, tokens.refresh_token!)).rejects.toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(grantErrors.at(-1)).toBe('DPoP proof JWT not provided');
    // The answer itself says why, so the bank's developer need not guess.
    expect(await refreshByHand(undefined)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'grant request is invalid: DPoP proof JWT not provided' } });
    expect(grantErrors.at(-1)).toBe('DPoP proof JWT not provided');
  });

  it('a replayed DPoP proof (same jti) at the token endpoint: invalid_grant', async () => {
    const proof = await dpopProof(dpopKey, { htm: 'POST', htu: tokenEndpoint() });
    expect((await refreshByHand(proof)).status).toBe(200);
    expect(await refreshByHand(proof)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('DPoP proof JWT Replay detected') } });
    expect(grantErrors.at(-1)).toBe('DPoP proof JWT Replay detected');
  });

  it('a replayed DPoP proof (same jti) at userinfo: 401 invalid_token', async () => {
    const proof = await dpopProof(dpopKey, { htm: 'GET', htu: userinfoEndpoint(), ath: ath(tokens.access_token) });
    expect((await userinfoByHand('DPoP', proof)).status).toBe(200);
    expect(await userinfoByHand('DPoP', proof)).toMatchObject({ status: 401, error: 'invalid_token' });
  });

  it('the DPoP-bound access token presented as a Bearer token: 401 invalid_token', async () => {
    const answer = await userinfoByHand('Bearer');
    expect(answer).toMatchObject({ status: 401, error: 'invalid_token' });
    // openid-client, told nothing of DPoP, meets the same refusal.
    await expect(oidc.fetchUserInfo(bank.config, tokens.access_token, oidc.skipSubjectCheck)).rejects.toMatchObject({ status: 401 });
  });

  it('a DPoP proof for the wrong URL (htu) or method (htm): invalid_dpop_proof at the token endpoint and at userinfo', async () => {
    const wrongUrl = await refreshByHand(await dpopProof(dpopKey, { htm: 'POST', htu: userinfoEndpoint() }));
    expect(wrongUrl).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: 'DPoP proof htu mismatch' } });
    const wrongMethod = await refreshByHand(await dpopProof(dpopKey, { htm: 'GET', htu: tokenEndpoint() }));
    expect(wrongMethod).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', error_description: 'DPoP proof htm mismatch' } });

    const at = ath(tokens.access_token);
    const userinfoWrongUrl = await userinfoByHand('DPoP', await dpopProof(dpopKey, { htm: 'GET', htu: tokenEndpoint(), ath: at }));
    expect(userinfoWrongUrl).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
    expect(userinfoWrongUrl.challenge).toMatch(/^DPoP /);
    const userinfoWrongMethod = await userinfoByHand('DPoP', await dpopProof(dpopKey, { htm: 'POST', htu: userinfoEndpoint(), ath: at }));
    expect(userinfoWrongMethod).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
  });

  it('a malformed, mistyped or stale DPoP proof: invalid_dpop_proof, never a 500', async () => {
    const stale = await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: tokenEndpoint() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(dpopKey.publicKey) })
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .sign(dpopKey.privateKey);
    const untyped = await new SignJWT({ jti: randomUUID(), htm: 'POST', htu: tokenEndpoint() })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', jwk: await exportJWK(dpopKey.publicKey) })
      .setIssuedAt()
      .sign(dpopKey.privateKey);
    for (const proof of ['not-a-jwt', 'a.b.c', stale, untyped]) {
      expect(await refreshByHand(proof), proof.slice(0, 20)).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
      expect(await userinfoByHand('DPoP', proof)).toMatchObject({ status: 401, error: 'invalid_dpop_proof' });
    }
  });
});
