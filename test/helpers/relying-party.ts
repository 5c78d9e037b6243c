// A real relying party: openid-client 6 configured from discovery, with ID token signature checks on.
import * as oidc from 'openid-client';

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
