// What the e-ID app shows before the citizen approves a QR sign-in: who asks (the service as the registry
// approved it, and the domain the browser will return to), the level asked for, and the data asked for.
import type Provider from 'oidc-provider';
import { ACR, acrForLevel, CATALOGUE, CLAIM_SCOPE } from '../../oidc/claims.ts';
import { requiredLevel } from '../../oidc/levels.ts';
import type { QrShown } from './requests.ts';

type Params = Record<string, unknown>;

// About the authentication itself, not the citizen: not "data" a person is asked to share.
const NOT_PERSONAL = new Set(['sub', 'acr', 'amr', 'auth_time']);

/** The claims a request asks for: its scopes' claims, and named claims (claims parameter, verified_claims). */
export function requestedData(params: Params): string[] {
  const data = new Set<string>();
  const scopes = typeof params.scope === 'string' ? params.scope.split(' ') : [];
  for (const scope of scopes) {
    for (const claim of CATALOGUE[scope as keyof typeof CATALOGUE]?.claims ?? []) if (!NOT_PERSONAL.has(claim)) data.add(claim);
  }
  for (const claim of namedClaims(params.claims)) if (!NOT_PERSONAL.has(claim) && (CLAIM_SCOPE.has(claim) || claim === 'verified_claims')) data.add(claim);
  if (scopes.includes('offline_access')) data.add('offline_access');
  return [...data];
}

function namedClaims(claims: unknown): string[] {
  let parsed: unknown = claims;
  if (typeof claims === 'string') {
    try {
      parsed = JSON.parse(claims);
    } catch {
      return [];
    }
  }
  if (!parsed || typeof parsed !== 'object') return [];
  const { id_token: idToken, userinfo } = parsed as { id_token?: unknown; userinfo?: unknown };
  return [idToken, userinfo].flatMap((part) => (part && typeof part === 'object' ? Object.keys(part) : []));
}

export async function describeSignIn(provider: Provider, params: Params): Promise<QrShown> {
  const clientId = String(params.client_id);
  const client = await provider.Client.find(clientId);
  const metadata: Record<string, unknown> = client?.metadata() ?? {};
  const redirect = typeof params.redirect_uri === 'string' && URL.canParse(params.redirect_uri) ? new URL(params.redirect_uri) : undefined;
  const organisation = typeof metadata.organisation_name === 'string'
    ? { name: metadata.organisation_name, domain: typeof metadata.organisation_domain === 'string' ? metadata.organisation_domain : null }
    : null;
  const level = requiredLevel(params);
  return {
    service: { client_id: clientId, name: client?.clientName ?? clientId, domain: redirect?.host ?? '', organisation },
    level: { requested: level ? acrForLevel(level) : null, result: ACR.level2 },
    data: requestedData(params),
  };
}
