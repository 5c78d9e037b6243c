// A real relying party: openid-client 6 configured from discovery, with ID token signature checks on.
import * as oidc from 'openid-client';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { SANDBOX_SECRET, startProvider, type RunningProvider } from './provider.ts';

export const REDIRECT_URI = 'http://localhost:8080/callback';

export async function relyingParty(issuer: string, clientId: string, secret: string): Promise<oidc.Configuration> {
  const config = await oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
  });
  // Verify every ID token's signature against the provider's JWKS (openid-client skips it by default for the code flow).
  oidc.enableNonRepudiationChecks(config);
  return config;
}

export interface AuthorizationRequest {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(
  config: oidc.Configuration,
  params: Record<string, string> = {},
): Promise<AuthorizationRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

export function redeem(config: oidc.Configuration, request: AuthorizationRequest, callback: string) {
  return oidc.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
  });
}

/**
 * The common test setup: a fresh database, the provider with the sandbox seeded, and the sandbox client as a
 * relying party. Fields are filled in beforeAll, and everything is torn down in afterAll.
 */
export function sandboxProviderForSuite(options: { env?: Record<string, string>; clock?: () => Date } = {}): { provider: RunningProvider; rp: oidc.Configuration } {
  const suite = {} as { provider: RunningProvider; rp: oidc.Configuration; testDb: TestDatabase };
  beforeAll(async () => {
    suite.testDb = await createTestDatabase();
    suite.provider = await startProvider(suite.testDb, options);
    suite.rp = await relyingParty(suite.provider.url, 'sandbox', SANDBOX_SECRET);
  });
  afterAll(async () => {
    await suite.provider?.close();
    await suite.testDb?.drop();
  });
  return suite;
}
