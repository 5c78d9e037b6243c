// oidc-provider's Client model, where we reach past its public API: hashed secrets and metadata validation.
import { errors, type Client, type default as Provider } from 'oidc-provider';
import { hashOfMarker, secretMatchesHash } from '../clients/secrets.ts';

const URL_LIST_FIELDS = ['redirect_uris', 'post_logout_redirect_uris'] as const;

/**
 * Replaces oidc-provider's `Client#compareClientSecret` (lib/models/client.js, which compares the stored
 * `client_secret` in constant time, lib/shared/client_auth.js calls it) with a comparison against the stored
 * SHA-256. A client's `client_secret` as the provider sees it is only the hash marker, so nothing else may be
 * keyed by it: symmetric JWS/JWE algorithms are not enabled (see enabledJWA in provider.ts).
 */
/**
 * An invalid_redirect_uri refusal that says which value is wrong: the error's constructor takes no description
 * (lib/helpers/errors.js), so a string passed to it would be dropped for the generic "did not match" text.
 */
export function invalidRedirectUri(description: string): InstanceType<typeof errors.InvalidRedirectUri> {
  const error = new errors.InvalidRedirectUri();
  error.error_description = description;
  return error;
}

export function compareHashedClientSecrets(provider: Provider): void {
  const prototype = provider.Client.prototype as unknown as { clientSecret?: string; compareClientSecret(actual: string): Promise<boolean> | boolean };
  prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    const hash = hashOfMarker(this.clientSecret);
    return hash !== undefined && typeof actual === 'string' && secretMatchesHash(actual, hash);
  };
}

/**
 * Serves `Client.find` (lib/models/client.js) with the Client the provider already built from the same metadata
 * object. The registry's cache keeps one frozen object per client until a change notice drops it
 * (src/db/noticed-cache.ts); the provider's own cache is keyed by a SHA-256 of the metadata's JSON, which it
 * computed on every request (about 20 µs of a client_credentials answer's 500). Anything else is the provider's
 * own find, which reads the metadata as before.
 */
export function reuseBuiltClients(provider: Provider, kept: (clientId: string) => object | undefined): void {
  const model = provider.Client as unknown as { find(id: unknown): Promise<Client | undefined> };
  const find = model.find.bind(model);
  const built = new WeakMap<object, Client>();
  model.find = async (id) => {
    const before = typeof id === 'string' ? kept(id) : undefined;
    const known = before && built.get(before);
    if (known) return known;
    const client = await find(id);
    // Kept objects are never changed in place: the one kept now is what this client was built from, unless a
    // notice came in between (then `kept` has moved on, or holds nothing).
    const after = client && typeof id === 'string' ? kept(id) : undefined;
    if (after && after === before) built.set(after, client!);
    return client;
  };
}

/**
 * The provider's full check of a client's metadata, as it would serve it: `Client.validate` (lib/models/client.js,
 * the static used by dynamic registration), which builds the client schema and validates a sector_identifier_uri.
 * Refusals are its InvalidClientMetadata / InvalidRedirectUri errors (`error`, `error_description`).
 * Answers the metadata as the provider serves it: `new Client(metadata).metadata()` (lib/models/client.js), in which
 * the schema (lib/helpers/client_schema.js, ensureStripUnrecognized) has dropped every field it does not recognise
 * with the features configured — a field missing there would be stored and take no effect.
 */
export function clientMetadataValidator(
  provider: Provider,
  newClientRules: (metadata: Record<string, unknown>) => void = () => {},
): (metadata: Record<string, unknown>) => Promise<Record<string, unknown>> {
  const Client = provider.Client as unknown as { validate(metadata: Record<string, unknown>): Promise<void>; new (metadata: Record<string, unknown>): { metadata(): Record<string, unknown> } };
  return async (metadata) => {
    // The schema reads hosts with `new URL()` before it checks that redirect URIs are URLs, so a malformed one
    // would surface as a TypeError: refuse it first, naming the field.
    for (const field of URL_LIST_FIELDS) {
      const values = metadata[field];
      const bad = Array.isArray(values) ? values.find((value) => typeof value !== 'string' || !URL.canParse(value)) : undefined;
      if (bad === undefined) continue;
      const description = `${field} must only contain valid URLs (${JSON.stringify(bad)} is not one)`;
      throw field === 'redirect_uris' ? invalidRedirectUri(description) : new errors.InvalidClientMetadata(description);
    }
    // What a new or changed client must meet beyond what the provider checks whenever it loads one (bank-profile.ts).
    newClientRules(metadata);
    await Client.validate(metadata);
    return new Client(metadata).metadata();
  };
}
