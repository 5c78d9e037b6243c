// The provider's own outgoing requests: back-channel logout, CIBA pings, jwks_uri, sector_identifier_uri.
import { rootCertificates } from 'node:tls';
import type { Configuration } from 'oidc-provider';

/**
 * oidc-provider passes every outgoing request through `fetch` with an SSRF-guarded undici dispatcher in
 * `options.dispatcher` (lib/helpers/fetch_request.js, `fetchRequest`), which refuses loopback and private
 * addresses. Development and tests talk to relying parties on 127.0.0.1, so there (never in production,
 * see config.ts) the guard is dropped; otherwise the request goes out exactly as the provider built it.
 * extraCa (PEM, development and tests only): a local authority the relying parties' https endpoints use, such as
 * a CIBA client notification endpoint on 127.0.0.1 (that endpoint must be https).
 */
export function outboundFetch(options: { allowPrivateNetworks: boolean; extraCa?: string | undefined }): NonNullable<Configuration['fetch']> {
  let trusting: unknown;
  return (url, init) => {
    if (options.allowPrivateNetworks) {
      delete (init as { dispatcher?: unknown }).dispatcher;
      if (options.extraCa) (init as { dispatcher?: unknown }).dispatcher = trusting ??= dispatcherTrusting(options.extraCa);
    }
    return globalThis.fetch(url, init);
  };
}

/**
 * An undici Agent that also trusts `ca`. Node bundles undici without exporting it; like fetch_request.js
 * (`getAgent`), the Agent class is the constructor of Node's global dispatcher, which exists once fetch is loaded.
 */
function dispatcherTrusting(ca: string): unknown {
  void globalThis.Response;
  const globals = globalThis as Record<symbol, unknown>;
  const global = (globals[Symbol.for('undici.globalDispatcher.2')] ?? globals[Symbol.for('undici.globalDispatcher.1')]) as { constructor: new (options: unknown) => unknown } | undefined;
  if (!global) throw new Error('no undici global dispatcher: cannot add a certificate authority to outgoing requests');
  return new global.constructor({ connect: { ca: [...rootCertificates, ca] } });
}
