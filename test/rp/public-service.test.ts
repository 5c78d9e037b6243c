// The public-service profile as a portal connects: private_key_jwt with keys registered inline (jwks) or
// published by the portal (jwks_uri, fetched by the provider), client_secret_basic beside it, signed ID tokens
// encrypted to the portal's key on request, and nothing keyed by a client secret.
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { startRpServer, type RpServer } from '../helpers/rp-server.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const binh = SANDBOX_CITIZENS[1]!;
const REDIRECT = 'https://portal.example/callback';
const servers: RpServer[] = [];
afterAll(async () => Promise.all(servers.map((s) => s.close())));

async function signingKey(kid: string) {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { jwk, auth: oidc.PrivateKeyJwt({ key: pair.privateKey, kid }) };
}

async function register(clientId: string, metadata: Record<string, unknown>) {
  await suite.provider.addClient({ client_id: clientId, redirect_uris: [REDIRECT], scope: 'openid profile', profile: 'public_service', ...metadata });
}

async function portal(clientId: string, auth: oidc.ClientAuth) {
  const config = await oidc.discovery(new URL(suite.provider.url), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
  oidc.enableNonRepudiationChecks(config);
  return config;
}

async function signIn(config: oidc.Configuration) {
  const request = await authorizationRequest(config, { redirect_uri: REDIRECT });
  const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD });
  return { request, callback };
}

describe('public-service profile: client authentication', () => {
  it('accepts private_key_jwt with the key registered inline (jwks)', async () => {
    const key = await signingKey('portal-inline-1');
    await register('portal-inline', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.jwk] } });
    const config = await portal('portal-inline', key.auth);
    const { request, callback } = await signIn(config);
    const tokens = await redeem(config, request, callback);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: suite.provider.url, aud: 'portal-inline', acr: 'urn:vn:eid:loa:1' });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)).toMatchObject({ family_name: binh.familyName });
  });

  it('accepts an Ed25519 key as openid-client 6 signs with it (alg "Ed25519", RFC 9864): assertions, DPoP proofs, and discovery says so', async () => {
    const discovery = (await (await fetch(`${suite.provider.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    for (const [field, algs] of Object.entries(discovery).filter(([key]) => key.endsWith('_signing_alg_values_supported'))) {
      if ((algs as string[]).includes('EdDSA')) expect(algs, field).toContain('Ed25519');
    }
    expect(discovery.token_endpoint_auth_signing_alg_values_supported).toContain('Ed25519');
    expect(discovery.dpop_signing_alg_values_supported).toContain('Ed25519');

    const pair = await generateKeyPair('Ed25519', { extractable: true });
    await register('portal-ed25519', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'ed', use: 'sig' }] } });
    const config = await portal('portal-ed25519', oidc.PrivateKeyJwt({ key: pair.privateKey, kid: 'ed' }));
    const dpop = oidc.getDPoPHandle(config, await generateKeyPair('Ed25519'));
    const { request, callback } = await signIn(config);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce }, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub, { DPoP: dpop })).toMatchObject({ family_name: binh.familyName });
  });

  it('accepts private_key_jwt with the key the portal publishes at its jwks_uri (fetched from 127.0.0.1)', async () => {
    const key = await signingKey('portal-published-1');
    const server = await startRpServer({ jwks: { keys: [key.jwk] } });
    servers.push(server);
    await register('portal-published', { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: server.jwksUri });
    const config = await portal('portal-published', key.auth);
    const { request, callback } = await signIn(config);
    const tokens = await redeem(config, request, callback);
    expect(tokens.claims()?.aud).toBe('portal-published');
  });

  it('refuses an assertion signed with a key the portal did not register: invalid_client', async () => {
    const registered = await signingKey('portal-wrong-key-1');
    const other = await signingKey('portal-wrong-key-1');
    await register('portal-wrong-key', { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [registered.jwk] } });
    const { request, callback } = await signIn(await portal('portal-wrong-key', registered.auth));
    const impostor = await portal('portal-wrong-key', other.auth);
    await expect(redeem(impostor, request, callback)).rejects.toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('accepts client_secret_basic beside it, and refuses a public-service client registered for another method', async () => {
    await register('portal-basic', { client_secret: 'portal-basic-secret-0123456789' });
    const config = await portal('portal-basic', oidc.ClientSecretBasic('portal-basic-secret-0123456789'));
    const { request, callback } = await signIn(config);
    expect((await redeem(config, request, callback)).claims()?.aud).toBe('portal-basic');

    await register('portal-post', { client_secret: 'portal-post-secret-0123456789', token_endpoint_auth_method: 'client_secret_post' });
    const refused = await fetch(`${suite.provider.url}/auth?client_id=portal-post&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`, { headers: { accept: 'text/html' } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('token_endpoint_auth_method must be client_secret_basic or private_key_jwt for the public_service profile');
  });

  it('offers nothing keyed by a client secret (no client_secret_jwt, HS256, A*KW or dir)', async () => {
    const metadata = (await portal('portal-basic', oidc.None())).serverMetadata();
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'private_key_jwt']));
    expect(metadata.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).not.toContain('HS256');
    expect(metadata.id_token_encryption_alg_values_supported).toEqual(expect.arrayContaining(['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES']));
    for (const symmetric of ['dir', 'A128KW', 'A256KW']) expect(metadata.id_token_encryption_alg_values_supported).not.toContain(symmetric);
    expect(metadata.backchannel_logout_supported).toBe(true);
    expect(metadata.backchannel_logout_session_supported).toBe(true);

    await register('portal-dir', { client_secret: 'portal-dir-secret-0123456789', id_token_encrypted_response_alg: 'dir' });
    const refused = await fetch(`${suite.provider.url}/auth?client_id=portal-dir&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`, { headers: { accept: 'text/html' } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('id_token_encrypted_response_alg');
  });
});

describe('public-service profile: ID tokens', () => {
  let encryption: { jwk: JWK; key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'] };
  beforeAll(async () => {
    const pair = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
    encryption = { jwk: { ...(await exportJWK(pair.publicKey)), kid: 'portal-enc-1', alg: 'ECDH-ES+A256KW', use: 'enc' }, key: pair.privateKey };
  });

  it('are signed, and encrypted to the portal’s registered key when it asks; the portal decrypts them', async () => {
    const key = await signingKey('portal-sealed-sig');
    await register('portal-sealed', {
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [key.jwk, encryption.jwk] },
      id_token_encrypted_response_alg: 'ECDH-ES+A256KW',
      id_token_encrypted_response_enc: 'A256GCM',
    });
    const config = await portal('portal-sealed', key.auth);
    oidc.enableDecryptingResponses(config, ['A256GCM'], { key: encryption.key, alg: 'ECDH-ES+A256KW', kid: 'portal-enc-1' });
    const { request, callback } = await signIn(config);
    const tokens = await redeem(config, request, callback);
    // Five parts: a JWE; inside, the provider's signed ID token (enableNonRepudiationChecks verified the signature).
    expect(tokens.id_token!.split('.')).toHaveLength(5);
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'portal-enc-1' });
    expect(tokens.claims()).toMatchObject({ iss: suite.provider.url, aud: 'portal-sealed', acr: 'urn:vn:eid:loa:1' });
    // The provider cannot read it back, yet the citizen's disclosure log still lists it.
    const logged = await suite.provider.database.db.selectFrom('disclosures').select(['channel', 'claims', 'acr']).where('client_id', '=', 'portal-sealed').execute();
    expect(logged).toEqual([{ channel: 'id_token', claims: ['sub'], acr: 'urn:vn:eid:loa:1' }]);
  });

  it('are only signed for a portal that did not ask for encryption', async () => {
    await register('portal-plain', { client_secret: 'portal-plain-secret-0123456789' });
    const config = await portal('portal-plain', oidc.ClientSecretBasic('portal-plain-secret-0123456789'));
    const { request, callback } = await signIn(config);
    const tokens = await redeem(config, request, callback);
    expect(tokens.id_token!.split('.')).toHaveLength(3);
    expect(JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'RS256' });
  });
});
