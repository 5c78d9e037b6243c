// The bank profile (FAPI 2.0 Security Profile) through openid-client 6: PAR, PKCE, private_key_jwt, DPoP-bound tokens,
// RFC 9207 iss, encrypted ID tokens. The refusals are in bank-fapi-refusals.test.ts.
import { calculateJwkThumbprint, compactDecrypt, createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { an, pushAuthorization, redeemAtBank, registerBank, signIn, type Bank } from '../helpers/bank.ts';

let testDb: TestDatabase;
let provider: RunningProvider;
let bank: Bank;
let sealedBank: Bank;

beforeAll(async () => {
  testDb = await createTestDatabase();
  // A longer general code lifetime than FAPI allows: banks must still get 60 s codes.
  provider = await startProvider(testDb, { ttl: { AuthorizationCode: 300 } });
  bank = await registerBank(provider, 'bank-fapi', { authAlg: 'ES256', idTokenAlg: 'PS256' });
  sealedBank = await registerBank(provider, 'bank-sealed', { authAlg: 'PS256', idTokenAlg: 'ES256', encrypt: 'ECDH-ES' });
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

describe('bank profile (FAPI 2.0)', () => {
  it('publishes PAR, DPoP, RFC 9207 iss and only asymmetric algorithms', async () => {
    const discovery = (await (await fetch(`${provider.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
    expect(discovery.pushed_authorization_request_endpoint).toBe(`${provider.url}/request`);
    expect(discovery.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'PS256']));
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(discovery.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
    expect(discovery.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['PS256', 'ES256']));
    expect(discovery.id_token_encryption_alg_values_supported).toEqual(expect.arrayContaining(['RSA-OAEP-256', 'ECDH-ES']));
    const everyAlg = Object.entries(discovery).filter(([k]) => k.endsWith('_alg_values_supported')).flatMap(([, v]) => v as string[]);
    expect(everyAlg.filter((alg) => /^HS|^A\d+KW$|^A\d+GCMKW$|^dir$/.test(alg))).toEqual([]);
  });

  it('signs a citizen in: PAR → code (with iss) → DPoP-bound tokens → userinfo and refresh with DPoP', async () => {
    const dpopKey = await generateKeyPair('ES256');
    const dpop = oidc.getDPoPHandle(bank.config, dpopKey);
    const authorization = await pushAuthorization(bank, dpop);
    // The authorization request carries only the client_id and the pushed request's handle.
    expect([...authorization.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    const callback = await signIn(authorization);
    expect(new URL(callback).searchParams.get('iss')).toBe(provider.url);

    const tokens = await redeemAtBank(bank, authorization, callback, dpop);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(tokens.refresh_token).toBeTruthy();
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('PS256');
    const jwks = createRemoteJWKSet(new URL(`${provider.url}/jwks`));
    const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: provider.url, audience: 'bank-fapi', algorithms: ['PS256'] });
    expect(payload.nonce).toBe(authorization.nonce);
    const sub = tokens.claims()!.sub;

    const userinfo = await oidc.fetchUserInfo(bank.config, tokens.access_token, sub, { DPoP: dpop });
    expect(userinfo).toMatchObject({ sub, name: 'Nguyễn Văn An', personal_id: an.personalId });

    // The access token is bound to the DPoP key (cnf.jkt), as introspection tells.
    const jkt = await calculateJwkThumbprint(await exportJWK(dpopKey.publicKey));
    expect(await oidc.tokenIntrospection(bank.config, tokens.access_token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } });

    const refreshed = await oidc.refreshTokenGrant(bank.config, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(await oidc.fetchUserInfo(bank.config, refreshed.access_token, sub, { DPoP: dpop })).toMatchObject({ sub });
    // FAPI 2.0 §5.3.2.1: no rotation for banks — the same refresh token keeps working (a lost response costs nothing).
    expect(refreshed.refresh_token ?? tokens.refresh_token).toBe(tokens.refresh_token);
    const again = await oidc.refreshTokenGrant(bank.config, tokens.refresh_token!, undefined, { DPoP: dpop });
    expect(again.access_token).toBeTruthy();
  });

  it('binds each refreshed access token to the key of that refresh request (the refresh token is bound to the bank)', async () => {
    const first = oidc.getDPoPHandle(bank.config, await generateKeyPair('ES256'));
    const authorization = await pushAuthorization(bank, first);
    const tokens = await redeemAtBank(bank, authorization, await signIn(authorization), first);

    const otherKey = await generateKeyPair('ES256');
    const other = oidc.getDPoPHandle(bank.config, otherKey);
    const refreshed = await oidc.refreshTokenGrant(bank.config, tokens.refresh_token!, undefined, { DPoP: other });
    const jkt = await calculateJwkThumbprint(await exportJWK(otherKey.publicKey));
    expect(await oidc.tokenIntrospection(bank.config, refreshed.access_token)).toMatchObject({ active: true, cnf: { jkt } });
    // The new token answers only to its own key.
    await expect(oidc.fetchUserInfo(bank.config, refreshed.access_token, tokens.claims()!.sub, { DPoP: first })).rejects.toMatchObject({
      status: 401,
      cause: [expect.objectContaining({ scheme: 'dpop', parameters: expect.objectContaining({ error: 'invalid_token' }) })],
    });
  });

  it('issues authorization codes that live 60 s for banks, whatever the general lifetime', async () => {
    const dpop = oidc.getDPoPHandle(bank.config, await generateKeyPair('ES256'));
    const authorization = await pushAuthorization(bank, dpop);
    const code = new URL(await signIn(authorization)).searchParams.get('code')!;
    const rows = await provider.database.db
      .selectFrom('oidc_payloads')
      .select('payload')
      .where('model', '=', 'AuthorizationCode')
      .execute();
    const stored = rows.map((r) => r.payload as { jti: string; iat: number; exp: number; clientId: string }).find((p) => p.jti === code);
    expect(stored).toMatchObject({ clientId: 'bank-fapi' });
    expect(stored!.exp - stored!.iat).toBe(60);
  });

  it('encrypts the ID token to the key a bank registered (ECDH-ES, A256GCM), signed inside', async () => {
    const dpop = oidc.getDPoPHandle(sealedBank.config, await generateKeyPair('ES256'));
    const authorization = await pushAuthorization(sealedBank, dpop);
    const callback = await signIn(authorization);

    // openid-client decrypts it (enableDecryptingResponses) and checks it like any other.
    const tokens = await redeemAtBank(sealedBank, authorization, callback, dpop);
    expect(tokens.claims()).toMatchObject({ aud: 'bank-sealed', nonce: authorization.nonce });

    // The same by hand with jose: the token endpoint's answer is a JWE whose plaintext is the signed ID token.
    const jwe = tokens.id_token!;
    expect(jwe.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(jwe)).toMatchObject({ alg: 'ECDH-ES', enc: 'A256GCM', kid: 'enc', cty: 'JWT' });
    const { plaintext } = await compactDecrypt(jwe, sealedBank.encryptionKey!.privateKey);
    const jwks = createRemoteJWKSet(new URL(`${provider.url}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(new TextDecoder().decode(plaintext), jwks, { issuer: provider.url, audience: 'bank-sealed' });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.nonce).toBe(authorization.nonce);

    // The citizen's disclosure log still records it (what the encrypted token was asked to carry).
    await provider.background.idle();
    const logged = await provider.database.db.selectFrom('disclosures').select(['channel', 'claims']).where('client_id', '=', 'bank-sealed').execute();
    expect(logged).toContainEqual({ channel: 'id_token', claims: ['sub'] });
  });
});
