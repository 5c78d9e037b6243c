// APIs for services: a back-office service gets access tokens for registered APIs (RFC 8707 resource indicators)
// by client_credentials; a 'jwt' API verifies RFC 9068 tokens offline, an 'opaque' one introspects them.
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addResourceServer,
  grantResourceAccess,
  listResourceAccess,
  ResourceServerInputError,
  revokeResourceAccess,
  updateResourceServer,
} from '../../src/clients/resource-servers.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';

const TAX = 'https://tax.api.example.gov.vn/';
const BENEFITS = 'https://benefits.api.example.gov.vn/';
const HEALTH = 'https://health.api.example.gov.vn/';

const service = (client_id: string) => ({ client_id, client_secret: `${client_id}-secret-0123456789abcdef` });
const SYNC = service('tax-sync');
const OUTSIDER = service('outsider');
const BENEFITS_API = service('benefits-api');
const HEALTH_API = service('health-api');
const ONE_API = service('one-api');

let testDb: TestDatabase;
let provider: RunningProvider;
const client = (c: { client_id: string; client_secret: string }) => relyingParty(provider.url, c.client_id, c.client_secret);

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb);
  for (const c of [SYNC, OUTSIDER, BENEFITS_API, HEALTH_API, ONE_API]) {
    await provider.addClient({ ...c, profile: 'service', grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' });
  }
  const db = provider.database.db;
  await addResourceServer(db, { identifier: TAX, name: 'Tax records', scopes: ['tax:read', 'tax:write'], accessTokenFormat: 'jwt', accessTokenTtl: 300 });
  await addResourceServer(db, { identifier: BENEFITS, name: 'Social benefits', scopes: ['benefits:read', 'benefits:write'], accessTokenFormat: 'opaque', introspectionClientId: BENEFITS_API.client_id });
  await addResourceServer(db, { identifier: HEALTH, name: 'Health records', scopes: ['health:read'], accessTokenFormat: 'opaque', introspectionClientId: HEALTH_API.client_id });
  await grantResourceAccess(db, SYNC.client_id, TAX, ['tax:read']);
  await grantResourceAccess(db, SYNC.client_id, BENEFITS, ['benefits:read', 'benefits:write']);
  await grantResourceAccess(db, ONE_API.client_id, HEALTH, ['health:read']);
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

const failure = (promise: Promise<unknown>) => promise.then(() => expect.unreachable('the request succeeded'), (e: unknown) => e as { status: number; error: string; error_description: string });

describe('JWT access tokens (RFC 9068)', () => {
  it('are verified offline against the JWKS: typ at+jwt, ES256, iss, aud, client_id, scope, exp, jti', async () => {
    const sync = await client(SYNC);
    const tokens = await oidc.clientCredentialsGrant(sync, { scope: 'tax:read', resource: TAX });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.scope).toBe('tax:read');
    expect(tokens.expires_in).toBe(300);

    // The API fetched the key set once, beforehand; verification needs no call to the provider.
    const jwks = (await (await fetch(sync.serverMetadata().jwks_uri!)).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(jwks), {
      issuer: provider.url,
      audience: TAX,
      typ: 'at+jwt',
      algorithms: ['ES256'],
      requiredClaims: ['exp', 'iat', 'jti', 'client_id', 'scope', 'sub'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    expect(payload).toMatchObject({ iss: provider.url, aud: TAX, client_id: SYNC.client_id, sub: SYNC.client_id, scope: 'tax:read', jti: expect.any(String) });
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('are not handed to introspection: the API verifies them itself', async () => {
    const tokens = await oidc.clientCredentialsGrant(await client(SYNC), { resource: TAX });
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    // Without a scope the service gets everything it may have at that API.
    expect(tokens.scope).toBe('tax:read');
    const error = await failure(oidc.tokenIntrospection(await client(SYNC), tokens.access_token));
    expect(error).toMatchObject({ status: 400, error: 'unsupported_token_type', error_description: 'Structured JWT Tokens cannot be introspected via the introspection_endpoint' });
  });
});

describe('opaque access tokens and introspection', () => {
  it("are introspected by the API's own client: scope, aud, client_id, exp", async () => {
    const tokens = await oidc.clientCredentialsGrant(await client(SYNC), { resource: BENEFITS });
    expect(tokens.scope).toBe('benefits:read benefits:write');
    expect(tokens.access_token.split('.')).toHaveLength(1);

    const answer = await oidc.tokenIntrospection(await client(BENEFITS_API), tokens.access_token);
    expect(answer).toMatchObject({ active: true, scope: 'benefits:read benefits:write', aud: BENEFITS, client_id: SYNC.client_id, iss: provider.url, token_type: 'Bearer' });
    expect(answer.exp! - Math.floor(Date.now() / 1000)).toBeGreaterThan(0);
    expect(answer).not.toHaveProperty('sub');
  });

  it('tell another API, or a client without a link to the audience, nothing', async () => {
    const tokens = await oidc.clientCredentialsGrant(await client(SYNC), { scope: 'benefits:read', resource: BENEFITS });
    expect(await oidc.tokenIntrospection(await client(HEALTH_API), tokens.access_token)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(await client(OUTSIDER), tokens.access_token)).toEqual({ active: false });
    // The service the token was issued to still learns about its own token.
    expect(await oidc.tokenIntrospection(await client(SYNC), tokens.access_token)).toMatchObject({ active: true, scope: 'benefits:read', aud: BENEFITS });
    // Revoked, it is inactive for the API too.
    await oidc.tokenRevocation(await client(SYNC), tokens.access_token);
    expect(await oidc.tokenIntrospection(await client(BENEFITS_API), tokens.access_token)).toEqual({ active: false });
  });

  it("tell the API nothing about a citizen's userinfo token", async () => {
    const sandbox = await relyingParty(provider.url, 'sandbox', 'sandbox-secret-for-tests-only');
    const request = await authorizationRequest(sandbox);
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: SANDBOX_CITIZENS[0]!.personalId, password: SANDBOX_PASSWORD });
    const tokens = await redeem(sandbox, request, callback);
    // Unchanged by resource indicators: an opaque token for userinfo, without audience.
    expect(tokens.access_token.split('.')).toHaveLength(1);
    await expect(oidc.fetchUserInfo(sandbox, tokens.access_token, oidc.skipSubjectCheck)).resolves.toMatchObject({ sub: expect.any(String) });
    expect(await oidc.tokenIntrospection(await client(BENEFITS_API), tokens.access_token)).toEqual({ active: false });
  });
});

describe('a citizen flow naming an API', () => {
  it('gets a userinfo token unless the token request names the API, then a JWT for it with the pairwise sub', async () => {
    await grantResourceAccess(provider.database.db, 'sandbox', TAX, ['tax:read']);
    const sandbox = await relyingParty(provider.url, 'sandbox', 'sandbox-secret-for-tests-only');
    const agent = new UserAgent();
    const credentials = { username: SANDBOX_CITIZENS[0]!.personalId, password: SANDBOX_PASSWORD };

    const first = await authorizationRequest(sandbox, { scope: 'openid profile tax:read', resource: TAX });
    const forUserinfo = await redeem(sandbox, first, await signInThroughPages(agent, first.url.href, credentials));
    expect(forUserinfo.access_token.split('.')).toHaveLength(1);
    const { sub } = forUserinfo.claims()!;
    await expect(oidc.fetchUserInfo(sandbox, forUserinfo.access_token, sub)).resolves.toMatchObject({ sub, name: expect.any(String) });

    const second = await authorizationRequest(sandbox, { scope: 'openid profile tax:read', resource: TAX });
    const callback = await signInThroughPages(agent, second.url.href, credentials);
    const forApi = await oidc.authorizationCodeGrant(sandbox, new URL(callback), { pkceCodeVerifier: second.verifier, expectedState: second.state, expectedNonce: second.nonce }, { resource: TAX });
    expect(forApi.scope).toBe('tax:read');
    const jwks = (await (await fetch(sandbox.serverMetadata().jwks_uri!)).json()) as JSONWebKeySet;
    const { payload } = await jwtVerify(forApi.access_token, createLocalJWKSet(jwks), { issuer: provider.url, audience: TAX, typ: 'at+jwt', algorithms: ['ES256'] });
    expect(payload).toMatchObject({ sub, client_id: 'sandbox', scope: 'tax:read' });
    // Its claims are for the API: userinfo refuses a token with an audience.
    await expect(oidc.fetchUserInfo(sandbox, forApi.access_token, sub)).rejects.toMatchObject({ status: 401 });
    await revokeResourceAccess(provider.database.db, 'sandbox', TAX);
  });
});

describe('refusals', () => {
  it('an unknown resource is invalid_target naming it', async () => {
    const error = await failure(oidc.clientCredentialsGrant(await client(SYNC), { resource: 'https://nowhere.example/' }));
    expect(error).toMatchObject({ status: 400, error: 'invalid_target', error_description: 'resource https://nowhere.example/ is not a registered API' });
  });

  it('a resource that is not an absolute URI is invalid_target', async () => {
    const error = await failure(oidc.clientCredentialsGrant(await client(SYNC), { resource: 'tax-api' }));
    expect(error).toMatchObject({ status: 400, error: 'invalid_target', error_description: 'resource indicator must be an absolute URI' });
  });

  it('a scope beyond the allowance at that API is invalid_scope naming it', async () => {
    const error = await failure(oidc.clientCredentialsGrant(await client(SYNC), { scope: 'tax:read tax:write', resource: TAX }));
    expect(error).toMatchObject({ status: 400, error: 'invalid_scope', error_description: `scope tax:write is not allowed for this client at resource ${TAX}` });
    const other = await failure(oidc.clientCredentialsGrant(await client(SYNC), { scope: 'health:read', resource: TAX }));
    expect(other).toMatchObject({ error: 'invalid_scope', error_description: `scope health:read is not allowed for this client at resource ${TAX}` });
  });

  it('a client without access to that API is invalid_target naming it', async () => {
    const error = await failure(oidc.clientCredentialsGrant(await client(OUTSIDER), { scope: 'tax:read', resource: TAX }));
    expect(error).toMatchObject({ status: 400, error: 'invalid_target', error_description: `this client has no access to resource ${TAX}` });
  });

  it('API scopes without a resource: the client is told to name the API, or that it has none', async () => {
    const several = await failure(oidc.clientCredentialsGrant(await client(SYNC), { scope: 'tax:read' }));
    expect(several).toMatchObject({ error: 'invalid_target', error_description: `scope tax:read is an API scope: name the API with the resource parameter (this client has access to ${BENEFITS}, ${TAX})` });
    const none = await failure(oidc.clientCredentialsGrant(await client(OUTSIDER), { scope: 'tax:read' }));
    expect(none).toMatchObject({ error: 'invalid_scope', error_description: 'scope tax:read is not allowed: this client has access to no API' });
  });

  it('a hostile resource value is a 400, never a 500', async () => {
    const sync = await client(SYNC);
    const long = await failure(oidc.clientCredentialsGrant(sync, { resource: `https://x.example/${'a'.repeat(10_000)}` }));
    expect(long).toMatchObject({ status: 400, error: 'invalid_target' });
    const nul = await failure(oidc.clientCredentialsGrant(sync, { resource: 'https://x.example/\u0000' }));
    expect(nul.status).toBe(400);
  });

  it('two resources at once are invalid_target', async () => {
    const sync = await client(SYNC);
    const error = await failure(oidc.clientCredentialsGrant(sync, new URLSearchParams([['resource', TAX], ['resource', BENEFITS]])));
    expect(error).toMatchObject({ status: 400, error: 'invalid_target' });
  });
});

describe('defaults and the existing client-credentials behaviour', () => {
  it('a service with access to one API gets a token for it without naming it', async () => {
    const tokens = await oidc.clientCredentialsGrant(await client(ONE_API));
    expect(tokens.scope).toBe('health:read');
    expect(await oidc.tokenIntrospection(await client(HEALTH_API), tokens.access_token)).toMatchObject({ active: true, aud: HEALTH, client_id: ONE_API.client_id });
  });

  it('a service naming no API and no API scope gets an opaque token without audience, for itself only', async () => {
    const outsider = await client(OUTSIDER);
    const tokens = await oidc.clientCredentialsGrant(outsider);
    expect(tokens).not.toHaveProperty('scope');
    expect(tokens.access_token.split('.')).toHaveLength(1);
    const answer = await oidc.tokenIntrospection(outsider, tokens.access_token);
    expect(answer).toMatchObject({ active: true, client_id: OUTSIDER.client_id });
    expect(answer).not.toHaveProperty('aud');
    expect(await oidc.tokenIntrospection(await client(BENEFITS_API), tokens.access_token)).toEqual({ active: false });
  });
});

describe('the registry', () => {
  it('refuses access to scopes the API does not offer, and unknown clients or APIs, naming the field', async () => {
    const db = provider.database.db;
    await expect(grantResourceAccess(db, SYNC.client_id, TAX, ['tax:delete'])).rejects.toMatchObject({ field: 'scopes', message: `scope tax:delete is not offered by ${TAX} (it offers: tax:read tax:write)` });
    await expect(grantResourceAccess(db, 'nobody', TAX, ['tax:read'])).rejects.toBeInstanceOf(ResourceServerInputError);
    await expect(grantResourceAccess(db, SYNC.client_id, 'https://nowhere.example/', ['x'])).rejects.toMatchObject({ field: 'resource' });
    await expect(addResourceServer(db, { identifier: 'https://x.example/#frag', name: 'X', scopes: ['x'] })).rejects.toMatchObject({ field: 'identifier' });
    await expect(addResourceServer(db, { identifier: 'https://x.example/', name: 'X', scopes: ['has space'] })).rejects.toMatchObject({ field: 'scopes' });
    await expect(addResourceServer(db, { identifier: TAX, name: 'Again', scopes: ['x'] })).rejects.toMatchObject({ field: 'identifier' });
    await expect(addResourceServer(db, { identifier: 'https://x.example/', name: 'X', scopes: ['x'], accessTokenTtl: 5 })).rejects.toMatchObject({ field: 'access_token_ttl' });
  });

  it('the tables themselves refuse malformed scopes and identifiers', async () => {
    const db = provider.database.db;
    const insert = (identifier: string, scopes: (string | null)[]) =>
      db.insertInto('resource_servers').values({ identifier, name: 'X', scopes: scopes as string[], access_token_format: 'jwt' }).execute();
    for (const scopes of [[], [''], ['a b'], ['a', null], ['quote"d'], ['back\\slash'], ['tab\tbed']]) {
      await expect(insert('https://checks.example/', scopes)).rejects.toThrow(/check constraint/);
    }
    await expect(insert('no-scheme', ['x'])).rejects.toThrow(/check constraint/);
    await expect(insert('https://checks.example/#f', ['x'])).rejects.toThrow(/check constraint/);
    await insert('https://checks.example/', ['x:read', 'x:write', 'urn:x:admin']);
  });

  it('takes effect on the next token request: revoked access, withdrawn scopes, a changed format', async () => {
    const db = provider.database.db;
    const extra = service('extra-sync');
    await provider.addClient({ ...extra, profile: 'service', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] });
    await addResourceServer(db, { identifier: 'https://land.api.example.gov.vn/', name: 'Land', scopes: ['land:read', 'land:write'], accessTokenFormat: 'opaque' });
    await grantResourceAccess(db, extra.client_id, 'https://land.api.example.gov.vn/', ['land:read', 'land:write']);
    const rp = await client(extra);

    // Withdrawn from the API, a scope is withdrawn from every client's access to it.
    await updateResourceServer(db, 'https://land.api.example.gov.vn/', { scopes: ['land:read'], accessTokenFormat: 'jwt' });
    expect(await listResourceAccess(db, { clientId: extra.client_id })).toMatchObject([{ resource: 'https://land.api.example.gov.vn/', scopes: ['land:read'] }]);
    const tokens = await oidc.clientCredentialsGrant(rp, { resource: 'https://land.api.example.gov.vn/' });
    expect(tokens.scope).toBe('land:read');
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');

    expect(await revokeResourceAccess(db, extra.client_id, 'https://land.api.example.gov.vn/')).toBe(true);
    // Written outside the provider's own routes (as the CLI or another instance would), the change reaches this
    // instance's cache by the registry's notice, within milliseconds: the service's next requests are refused.
    await expect
      .poll(() => oidc.clientCredentialsGrant(rp, { resource: 'https://land.api.example.gov.vn/' }).then(() => 'served', (e: { error?: string }) => e.error), { timeout: 5000, interval: 20 })
      .toBe('invalid_target');
    const error = await failure(oidc.clientCredentialsGrant(rp, { resource: 'https://land.api.example.gov.vn/' }));
    expect(error).toMatchObject({ error: 'invalid_target', error_description: 'this client has no access to resource https://land.api.example.gov.vn/' });
  });

  it('a linked introspecting client that is not a service profile learns nothing', async () => {
    const db = provider.database.db;
    const portal = service('portal-linked');
    await provider.addClient({ ...portal, profile: 'public_service', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] });
    await updateResourceServer(db, HEALTH, { introspectionClientId: portal.client_id });
    const tokens = await oidc.clientCredentialsGrant(await client(ONE_API), { resource: HEALTH });
    expect(await oidc.tokenIntrospection(await client(portal), tokens.access_token)).toEqual({ active: false });
    await updateResourceServer(db, HEALTH, { introspectionClientId: HEALTH_API.client_id });
  });
});
