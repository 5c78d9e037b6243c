// The reference for the throughput benchmark: oidc-provider alone, as its README starts it — in-memory adapter,
// one static client, client_credentials with a resource indicator and ES256 JWT access tokens (the same token
// format the full stack issues for an API). `node bench/bare-provider.ts PORT` prints "ready" once listening.
// Asked without a scope, the client gets an opaque token kept in memory, which introspection then looks up: the
// engine's own latency floor on this machine, beside the full stack's (bench/throughput.ts, item c).
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

import { tuneHeap } from '../src/runtime-tuning.ts';
import { BARE_CLIENT, BENCH_API } from './bench-service.ts';

// The heap's growth npm start gives the provider (src/runtime-tuning.ts): both sides collect alike.
tuneHeap();

const port = Number(process.argv[2] ?? 3900);
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench' };
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{ ...BARE_CLIENT, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], id_token_signed_response_alg: 'ES256' }],
  jwks: { keys: [jwk] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx) => (ctx.oidc.params?.['scope'] ? BENCH_API : undefined),
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'bench:read', audience: BENCH_API, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'ES256' } } }),
    },
  },
});
provider.listen(port, '127.0.0.1');
console.log('ready');
