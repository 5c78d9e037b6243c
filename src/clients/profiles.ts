// Profiles: how each kind of relying party connects. A profile fills in the protocol metadata it implies and
// refuses what it forbids, before the provider validates the rest (src/clients/lifecycle.ts).
import type { ClientMetadata } from 'oidc-provider';
import type { ClientProfile } from '../db/schema.ts';
import { keysOf, signingAlgFor } from './keys.ts';

/** Algorithms a bank may sign with (client assertions, ID tokens): FAPI 2.0 §5.4.1 (PS256, ES256; no RS256). */
export const BANK_SIGNING_ALGS = ['PS256', 'ES256'] as const;

/** The CIBA grant type (OpenID Connect CIBA Core): a client is approved for CIBA when its registration lists it. */
export const CIBA_GRANT = 'urn:openid:params:grant-type:ciba';

export const REGISTRY_PROFILES = ['public_service', 'bank', 'service', 'sandbox'] as const satisfies readonly ClientProfile[];

export type Metadata = Record<string, unknown>;

/** A field of the request that the profile does not allow, named as the caller sent it. */
export class ProfileViolation extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

const USER_FACING = { grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] };

const PROFILE_DEFAULTS: Record<(typeof REGISTRY_PROFILES)[number], Metadata> = {
  public_service: { ...USER_FACING, token_endpoint_auth_method: 'client_secret_basic' },
  // FAPI 2.0 Security Profile: bankClientDefaults below (it picks the signing alg from the bank's keys).
  bank: {},
  service: { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' },
  sandbox: { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
};

const AUTH_METHODS: Record<(typeof REGISTRY_PROFILES)[number], string[]> = {
  public_service: ['client_secret_basic', 'private_key_jwt'],
  bank: ['private_key_jwt'],
  service: ['client_secret_basic', 'private_key_jwt'],
  sandbox: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
};

/** The profile's metadata under what the operator gave; throws ProfileViolation for what the profile forbids. */
export function applyProfile(profile: (typeof REGISTRY_PROFILES)[number], given: Metadata): Metadata {
  // A bank's FAPI 2.0 rules are checked where the provider judges every client (oidc/bank-profile.ts).
  const metadata = profile === 'bank' ? withoutProfile(bankClientDefaults(given as ClientMetadata)) : { ...PROFILE_DEFAULTS[profile], ...given };
  const method = String(metadata.token_endpoint_auth_method);
  if (!AUTH_METHODS[profile].includes(method)) {
    throw new ProfileViolation('token_endpoint_auth_method', `a ${profile} client authenticates with ${AUTH_METHODS[profile].join(' or ')}, not ${method}`);
  }
  if (method === 'private_key_jwt' && metadata.jwks === undefined && metadata.jwks_uri === undefined) {
    throw new ProfileViolation('jwks', 'private_key_jwt needs the client\'s public keys, by jwks or jwks_uri');
  }
  if (Array.isArray(metadata.grant_types) && metadata.grant_types.includes(CIBA_GRANT) && profile !== 'bank' && profile !== 'sandbox') {
    throw new ProfileViolation('grant_types', `${CIBA_GRANT} (CIBA) is for bank and sandbox clients only`);
  }
  if (profile === 'public_service') {
    // oidc-provider would add authorization_code to a list without it and serve the rest: refuse, not rewrite.
    const grants = metadata.grant_types;
    if (!Array.isArray(grants) || !grants.includes('authorization_code') || grants.some((grant) => grant !== 'authorization_code' && grant !== 'refresh_token')) {
      throw new ProfileViolation('grant_types', 'a public_service client signs citizens in: authorization_code, and refresh_token if it keeps them signed in (client_credentials is for service clients)');
    }
  }
  if (profile === 'service') {
    if (Array.isArray(metadata.redirect_uris) && metadata.redirect_uris.length) {
      throw new ProfileViolation('redirect_uris', 'a service client signs no citizen in: it gets tokens with client_credentials only');
    }
    if (JSON.stringify(metadata.grant_types) !== '["client_credentials"]') {
      throw new ProfileViolation('grant_types', 'a service client uses client_credentials only');
    }
  }
  return metadata;
}

/** The profile is a registry column, not protocol metadata. */
function withoutProfile({ profile: _profile, ...metadata }: Metadata): Metadata {
  return metadata;
}

/** Scopes are RFC 6749 scope tokens; a citizen-facing client must include openid. */
export function checkScopes(profile: ClientProfile, scopes: unknown): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/.test(s))) {
    throw new ProfileViolation('scopes', 'a non-empty list of scope names (printable ASCII, no spaces or quotes)');
  }
  if (profile !== 'service' && !scopes.includes('openid')) throw new ProfileViolation('scopes', 'a client that signs citizens in needs openid');
  return [...new Set(scopes as string[])];
}

/** What the registry fills in for a bank an operator creates; the fields the bank gave are kept (and checked). */
export function bankClientDefaults(metadata: ClientMetadata): ClientMetadata {
  // The algorithm of the first key that can sign PS256 or ES256 (an RSA key of 2048 bits or more, a P-256 key);
  // with none (or keys behind a jwks_uri), PS256, and the provider's check refuses a set that cannot verify it.
  const signingAlg = (signingAlgFor(keysOf(metadata.jwks), BANK_SIGNING_ALGS) ?? 'PS256') as (typeof BANK_SIGNING_ALGS)[number];
  // A bank that only uses CIBA has no redirect: no response type unless it asked for authorization codes.
  const grants = Array.isArray(metadata.grant_types) ? metadata.grant_types : ['authorization_code'];
  return {
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: signingAlg,
    id_token_signed_response_alg: 'PS256',
    dpop_bound_access_tokens: true,
    require_pushed_authorization_requests: true,
    response_types: grants.includes('authorization_code') ? ['code'] : [],
    grant_types: ['authorization_code', 'refresh_token'],
    ...metadata,
    profile: 'bank',
  };
}
