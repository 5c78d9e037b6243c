// The provider's slice for the public-service profile: how clients authenticate, signed (optionally encrypted)
// ID tokens, and back-channel logout. provider.ts merges it into the configuration.
import { errors, type Configuration } from 'oidc-provider';

/** What a public-service portal may use to authenticate at the token endpoint. */
const PUBLIC_SERVICE_AUTH = new Set(['client_secret_basic', 'private_key_jwt']);

// Client authentication methods and algorithms (nothing keyed by a client secret, which the registry stores
// hashed) are set once for every profile in bank-profile.ts.
export function publicServiceConfiguration(): {
  features: Pick<NonNullable<Configuration['features']>, 'encryption' | 'backchannelLogout'>;
} {
  return {
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
