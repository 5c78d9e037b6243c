// Client secrets are stored hashed (src/clients/secrets.ts); the provider compares presented ones through here.
import type Provider from 'oidc-provider';
import { hashOfMarker, secretMatchesHash } from '../clients/secrets.ts';

/**
 * Replaces oidc-provider's `Client#compareClientSecret` (lib/models/client.js, which compares the stored
 * `client_secret` in constant time, lib/shared/client_auth.js calls it) with a comparison against the stored
 * SHA-256. A client's `client_secret` as the provider sees it is only the hash marker, so nothing else may be
 * keyed by it: symmetric JWS/JWE algorithms are not enabled (see enabledJWA in provider.ts).
 */
export function compareHashedClientSecrets(provider: Provider): void {
  const prototype = provider.Client.prototype as unknown as { clientSecret?: string; compareClientSecret(actual: string): Promise<boolean> | boolean };
  prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    const hash = hashOfMarker(this.clientSecret);
    return hash !== undefined && typeof actual === 'string' && secretMatchesHash(actual, hash);
  };
}
