// The provider's own outgoing requests: back-channel logout, jwks_uri, sector_identifier_uri.
import type { Configuration } from 'oidc-provider';

/**
 * oidc-provider passes every outgoing request through `fetch` with an SSRF-guarded undici dispatcher in
 * `options.dispatcher` (lib/helpers/fetch_request.js, `fetchRequest`), which refuses loopback and private
 * addresses. Development and tests talk to relying parties on 127.0.0.1, so there (never in production,
 * see config.ts) the guard is dropped; otherwise the request goes out exactly as the provider built it.
 */
export function outboundFetch(options: { allowPrivateNetworks: boolean }): NonNullable<Configuration['fetch']> {
  return (url, init) => {
    if (options.allowPrivateNetworks) delete (init as { dispatcher?: unknown }).dispatcher;
    return globalThis.fetch(url, init);
  };
}
