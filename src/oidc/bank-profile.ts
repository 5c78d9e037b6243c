// The bank profile: FAPI 2.0 Security Profile through oidc-provider's own `fapi` feature, and the rules a bank
// client's metadata must meet. This file returns its slice of the provider configuration; it decides nothing else.
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { canVerify, keysOf, weakness, whatKeysSign } from '../clients/keys.ts';
import { BANK_SIGNING_ALGS } from '../clients/profiles.ts';
import { invalidRedirectUri } from './client-internals.ts';

export { BANK_SIGNING_ALGS };

/** How a JWE's key is managed: only by the client's public keys (RSA-OAEP, ECDH-ES), never by its secret. */
export const KEY_MANAGEMENT_ALGS = ['RSA-OAEP-256', 'RSA-OAEP', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A256KW'] as const;

const isBank = (client: { [key: string]: unknown } | undefined) => client?.['profile'] === 'bank';

type Ttl = NonNullable<Configuration['ttl']>;

/**
 * The configuration slice: FAPI 2.0 for bank clients (PKCE required, client assertions audienced to the issuer,
 * redirect_uri always sent), PAR and DPoP for everyone who wants them, ID token encryption on request.
 * Symmetric algorithms are never enabled: client secrets are kept hashed, so nothing can be keyed by one.
 */
export function bankProfile(ttl: Ttl): Pick<Configuration, 'enabledJWA' | 'clientAuthMethods' | 'rotateRefreshToken' | 'ttl'> & {
  features: Pick<NonNullable<Configuration['features']>, 'fapi' | 'pushedAuthorizationRequests' | 'dPoP' | 'encryption'>;
} {
  const codeTtl = ttl.AuthorizationCode;
  return {
    features: {
      fapi: { enabled: true, profile: (_ctx: KoaContextWithOIDC, client) => (isBank(client as never) ? '2.0' : undefined) },
      // Required per client (require_pushed_authorization_requests: banks must), optional for the others.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
      // No bearer fallback is decided per client: dpop_bound_access_tokens (banks must) refuses token requests,
      // refresh included, that carry no proof; replayed proofs (same jti) are refused.
      dPoP: { enabled: true, allowReplay: false },
      encryption: { enabled: true },
    },
    enabledJWA: {
      // Ed25519 is EdDSA by its fully-specified name (RFC 9864): openid-client 6 signs assertions and DPoP proofs
      // with an Ed25519 key as "Ed25519", so wherever EdDSA is offered, Ed25519 is too (upstream's defaults do the
      // same). Banks sign their assertions with PS256 or ES256 whatever is listed here (assertBankClientMetadata).
      clientAuthSigningAlgValues: ['PS256', 'ES256', 'RS256', 'Ed25519', 'EdDSA'],
      requestObjectSigningAlgValues: ['PS256', 'ES256', 'RS256', 'Ed25519', 'EdDSA'],
      dPoPSigningAlgValues: ['ES256', 'PS256', 'Ed25519', 'EdDSA'],
      // Key management only by the client's public keys: no AES-KW and no `dir` (both keyed by client_secret).
      idTokenEncryptionAlgValues: [...KEY_MANAGEMENT_ALGS],
      userinfoEncryptionAlgValues: [...KEY_MANAGEMENT_ALGS],
      introspectionEncryptionAlgValues: [...KEY_MANAGEMENT_ALGS],
      authorizationEncryptionAlgValues: [...KEY_MANAGEMENT_ALGS],
      requestObjectEncryptionAlgValues: [],
    },
    // client_secret_jwt would need the secret in clear (HS256): the registry keeps only its hash.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    // FAPI 2.0 §5.3.2.1: no refresh token rotation for banks (a lost response must not cost the customer's grant);
    // their refresh tokens are bound to the bank's private_key_jwt authentication instead. Others rotate.
    rotateRefreshToken: (ctx) => !isBank(ctx.oidc.client as never),
    // Authorization codes live at most 60 s for banks (FAPI 2.0 §5.3.2.1), whatever the general setting.
    ttl: {
      ...ttl,
      AuthorizationCode: (ctx, token, client) => {
        const base = typeof codeTtl === 'function' ? codeTtl(ctx, token as never, client) : (codeTtl ?? 60);
        return isBank(client as never) ? Math.min(base, 60) : base;
      },
    },
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Refuses a redirect or post-logout URI over plain http, except to a loopback host (the only exception FAPI 2.0
 * §5.3.2.2 and RFC 8252 make): codes and logout state travel on it. `who` names the rule in the refusal.
 */
export function assertHttpsRedirects(metadata: Record<string, unknown>, who: string): void {
  for (const field of ['redirect_uris', 'post_logout_redirect_uris']) {
    const uris = metadata[field];
    if (!Array.isArray(uris)) continue;
    const plain = uris.find((uri) => typeof uri === 'string' && URL.canParse(uri) && new URL(uri).protocol === 'http:' && !LOOPBACK.has(new URL(uri).hostname));
    if (plain === undefined) continue;
    const description = `${field} must use https (or http to a loopback host) ${who}: ${JSON.stringify(plain)}`;
    throw field === 'redirect_uris' ? invalidRedirectUri(description) : new errors.InvalidClientMetadata(description);
  }
}

/**
 * Refuses, for every client, an algorithm keyed by a client secret, naming the field and what is offered. The
 * provider itself would first ask for the secret such an algorithm needs (Client.needsSecret, lib/models/client.js,
 * before its list check in lib/helpers/client_schema.js): "client_secret is mandatory property", which says nothing
 * of the real problem, and to a bank, which has no secret, nothing at all.
 */
export function assertOfferedAlgorithms(metadata: Record<string, unknown>): void {
  const encryption = metadata['id_token_encrypted_response_alg'];
  if (typeof encryption === 'string' && !(KEY_MANAGEMENT_ALGS as readonly string[]).includes(encryption)) {
    throw new errors.InvalidClientMetadata(
      `id_token_encrypted_response_alg must be one of ${KEY_MANAGEMENT_ALGS.join(', ')} (the ID token is encrypted to a key in the client's jwks); ${JSON.stringify(encryption)} is not offered`,
    );
  }
  for (const field of ['id_token_signed_response_alg', 'token_endpoint_auth_signing_alg']) {
    const alg = metadata[field];
    if (typeof alg === 'string' && alg.startsWith('HS')) {
      throw new errors.InvalidClientMetadata(`${field} must be an asymmetric algorithm, not ${alg}: nothing is keyed by a client secret here (secrets are kept hashed)`);
    }
  }
}

/**
 * Refuses, for every client, a key in its jwks that could never be used: an RSA key under 2048 bits (FAPI 2.0
 * §5.4.1; jose verifies and encrypts with none), an EC key on a curve the provider does not read. Registered, such a
 * key would only show itself as a bare 401 invalid_client at the first assertion.
 */
export function assertUsableKeys(metadata: Record<string, unknown>): void {
  keysOf(metadata['jwks']).forEach((key, index) => {
    const problem = weakness(key);
    if (problem) throw new errors.InvalidClientMetadata(`jwks.keys[${index}] ${problem}`);
  });
}

/**
 * Refuses a bank client that is not FAPI 2.0-conformant, naming the field (invalid_client_metadata).
 * `metadata` is the provider's view, defaults applied (an absent token_endpoint_auth_method is client_secret_basic).
 */
export function assertBankClientMetadata(metadata: Record<string, unknown>): void {
  if (metadata['profile'] !== 'bank') return;
  const need = (field: string, ok: boolean, what: string) => {
    if (!ok) throw new errors.InvalidClientMetadata(`${field} must be ${what} for a bank client (FAPI 2.0)`);
  };
  const signingAlg = (value: unknown) => BANK_SIGNING_ALGS.includes(value as (typeof BANK_SIGNING_ALGS)[number]);
  const field = (name: string) => metadata[name];
  need('token_endpoint_auth_method', field('token_endpoint_auth_method') === 'private_key_jwt', 'private_key_jwt');
  need('token_endpoint_auth_signing_alg', signingAlg(field('token_endpoint_auth_signing_alg')), 'PS256 or ES256');
  need('dpop_bound_access_tokens', field('dpop_bound_access_tokens') === true, 'true');
  need('require_pushed_authorization_requests', field('require_pushed_authorization_requests') === true, 'true');
  need('id_token_signed_response_alg', signingAlg(field('id_token_signed_response_alg')), 'PS256 or ES256');
  const responseTypes = field('response_types') as string[] | undefined;
  need('response_types', !responseTypes || responseTypes.every((t) => t === 'code'), '["code"]');
  // Keys behind a jwks_uri are fetched when first needed (README: bank profile); registered ones are judged now.
  if (metadata['jwks'] !== undefined) {
    const keys = keysOf(metadata['jwks']);
    const alg = String(field('token_endpoint_auth_signing_alg'));
    if (!keys.some((key) => canVerify(key, alg))) {
      throw new errors.InvalidClientMetadata(
        `jwks has no key that verifies ${alg} client assertions (token_endpoint_auth_signing_alg): a bank signs them with PS256 (an RSA key of at least 2048 bits) or ES256 (a P-256 key); ${whatKeysSign(keys)}`,
      );
    }
  }
}

/**
 * The rules a client is held to when it is registered or changed, never when a stored one is loaded: a client stored
 * before a rule existed keeps serving its citizens (the operator re-registers it), so a deploy never breaks a running
 * service. Keys nobody can use; redirects over plain http for a bank (FAPI 2.0) and, in production, for everyone.
 */
export function newClientRules(options: { httpsRedirectsOnly: boolean }): (metadata: Record<string, unknown>) => void {
  return (metadata) => {
    assertUsableKeys(metadata);
    if (metadata['profile'] === 'bank') assertHttpsRedirects(metadata, 'for a bank client (FAPI 2.0)');
    else if (options.httpsRedirectsOnly) assertHttpsRedirects(metadata, 'in production');
  };
}
