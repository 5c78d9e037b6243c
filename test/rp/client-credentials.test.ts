// A back-office service authenticates as itself (client_credentials) and checks tokens by introspection.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';

const SERVICE = { client_id: 'registry-sync', client_secret: 'registry-sync-secret-0123456789' };

let testDb: TestDatabase;
let provider: RunningProvider;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb);
  await provider.addClient({
    ...SERVICE,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

it('issues a token to a service client and introspects it as active for that client', async () => {
  const service = await relyingParty(provider.url, SERVICE.client_id, SERVICE.client_secret);
  const tokens = await oidc.clientCredentialsGrant(service);
  expect(tokens.token_type.toLowerCase()).toBe('bearer');
  expect(tokens.expires_in).toBeGreaterThan(0);
  expect(tokens).not.toHaveProperty('id_token');
  expect(tokens).not.toHaveProperty('refresh_token');

  const introspection = await oidc.tokenIntrospection(service, tokens.access_token);
  expect(introspection).toMatchObject({ active: true, client_id: SERVICE.client_id, token_type: 'Bearer' });
  expect(introspection).not.toHaveProperty('sub');

  await oidc.tokenRevocation(service, tokens.access_token);
  expect((await oidc.tokenIntrospection(service, tokens.access_token)).active).toBe(false);
});

it("cannot learn about or revoke another relying party's tokens", async () => {
  const sandbox = await relyingParty(provider.url, 'sandbox', 'sandbox-secret-for-tests-only');
  const request = await authorizationRequest(sandbox);
  const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: SANDBOX_CITIZENS[0]!.personalId, password: SANDBOX_PASSWORD });
  const citizenToken = (await redeem(sandbox, request, callback)).access_token;

  const service = await relyingParty(provider.url, SERVICE.client_id, SERVICE.client_secret);
  expect(await oidc.tokenIntrospection(service, citizenToken)).toEqual({ active: false });
  await expect(oidc.tokenRevocation(service, citizenToken)).rejects.toMatchObject({ error: 'invalid_request', error_description: 'client is not authorized to revoke the presented token' });
  // The owner still sees it active, with the citizen's subject.
  expect(await oidc.tokenIntrospection(sandbox, citizenToken)).toMatchObject({ active: true, client_id: 'sandbox', sub: expect.any(String) });
});

it('refuses client_credentials to a client not registered for that grant', async () => {
  // (The sandbox client has the grant, for developers to try: a portal registered with the defaults has not.)
  await provider.addClient({ client_id: 'portal-code-only', client_secret: 'portal-code-only-secret-0123', redirect_uris: ['https://portal.example/cb'] });
  const portal = await relyingParty(provider.url, 'portal-code-only', 'portal-code-only-secret-0123');
  await expect(oidc.clientCredentialsGrant(portal)).rejects.toMatchObject({
    status: 400,
    error: 'invalid_request',
    error_description: 'requested grant type is not allowed for this client',
  });
});

it('refuses a service client with a wrong secret', async () => {
  const impostor = await relyingParty(provider.url, SERVICE.client_id, 'wrong-secret-wrong-secret');
  const error = (await oidc.clientCredentialsGrant(impostor).catch((e: unknown) => e)) as { status: number; cause: { parameters: Record<string, string> }[] };
  expect(error.status).toBe(401);
  expect(error.cause[0]?.parameters.error).toBe('invalid_client');
});
