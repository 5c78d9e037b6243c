// The provider's slice for the public-service profile: how clients authenticate, signed (optionally encrypted)
// ID tokens, and back-channel logout. provider.ts merges it into the configuration.
import { errors, type Configuration } from 'oidc-provider';

/**
 * Client secrets are stored hashed (the client registry), so nothing may be keyed by one: no client_secret_jwt,
 * no HS* signatures, no symmetric (A*KW, dir) key management. A client that wants an encrypted ID token registers
 * a public encryption key (jwks or jwks_uri) and one of these algorithms.
 */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
const ASYMMETRIC_KEY_MANAGEMENT = ['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A256KW'] as const;
const ASYMMETRIC_SIGNING = ['RS256', 'PS256', 'ES256', 'Ed25519', 'EdDSA'] as const;

/** What a public-service portal may use to authenticate at the token endpoint. */
const PUBLIC_SERVICE_AUTH = new Set(['client_secret_basic', 'private_key_jwt']);

export function publicServiceConfiguration(): Pick<Configuration, 'clientAuthMethods' | 'enabledJWA'> & {
  features: Pick<NonNullable<Configuration['features']>, 'encryption' | 'backchannelLogout'>;
} {
  return {
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    enabledJWA: {
      clientAuthSigningAlgValues: [...ASYMMETRIC_SIGNING],
      idTokenSigningAlgValues: [...ASYMMETRIC_SIGNING],
      idTokenEncryptionAlgValues: [...ASYMMETRIC_KEY_MANAGEMENT],
      userinfoEncryptionAlgValues: [...ASYMMETRIC_KEY_MANAGEMENT],
      introspectionEncryptionAlgValues: [...ASYMMETRIC_KEY_MANAGEMENT],
      authorizationEncryptionAlgValues: [...ASYMMETRIC_KEY_MANAGEMENT],
      requestObjectEncryptionAlgValues: [...ASYMMETRIC_KEY_MANAGEMENT],
    },
    features: {
      encryption: { enabled: true },
      // The provider sends logout tokens itself at end_session; the other triggers are oidc/backchannel-logout.ts.
      backchannelLogout: { enabled: true },
    },
  };
}

/** Registration rule of the profile (called from extraClientMetadata's validator with the whole metadata). */
export function assertPublicServiceMetadata(metadata: { token_endpoint_auth_method?: unknown }): void {
  const method = metadata.token_endpoint_auth_method;
  if (typeof method !== 'string' || !PUBLIC_SERVICE_AUTH.has(method)) {
    throw new errors.InvalidClientMetadata(
      `token_endpoint_auth_method must be client_secret_basic or private_key_jwt for the public_service profile (got ${String(method)})`,
    );
  }
}
