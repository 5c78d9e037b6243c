// oidc-provider's keystore, where we reach past its public API: the provider takes `jwks` only at construction,
// and a key rotation must reach running instances without a restart.
import type Provider from 'oidc-provider';
import type { JWK } from 'jose';
// @ts-expect-error: an internal module of oidc-provider, without type declarations.
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';

type InitializeKeystore = (this: Provider, jwks: { keys: JWK[] }) => void;

/**
 * Replaces the provider's signing keys in place. It runs the provider's own constructor step
 * (node_modules/oidc-provider/lib/provider.js: `inititalizeKeyStore.call(this, configuration.jwks)`, the default
 * export of lib/helpers/initialize_keystore.js), which validates the keys and sets `instance(provider).keystore`
 * (read at every signature and verification: lib/models/id_token.js, lib/models/formats/jwt.js) and
 * `instance(provider).jwks` (served by lib/actions/jwks.js). The swap is one assignment: a request already
 * signing holds the key it selected, and every session, grant and interaction stays in the database.
 */
export function replaceSigningKeys(provider: Provider, keys: JWK[]): void {
  (initializeKeystore as InitializeKeystore).call(provider, { keys });
}
