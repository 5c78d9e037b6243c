// Whose X-Forwarded-* headers are believed: decided once by Fastify from TRUST_PROXY, and shown the same to the
// provider, whose Koa would otherwise believe any client's headers (its `proxy` setting is all or nothing).
import type { FastifyInstance } from 'fastify';
import type { TrustProxy } from '../config.ts';

export type FastifyTrustProxy = false | string[] | ((address: string, hop: number) => boolean);

export function fastifyTrustProxy(trust: TrustProxy): FastifyTrustProxy {
  if (trust === false) return false;
  if ('addresses' in trust) return trust.addresses;
  // Fastify reads a bare number as "trust no hop" (lib/request.js getTrustProxyFn); a function counts hops:
  // hop 0 is the connecting proxy, each trusted proxy's entry in X-Forwarded-For is one more.
  const { hops } = trust;
  return (_address, hop) => hop < hops;
}

/** Rewrites X-Forwarded-For/-Proto/-Host to the client address, protocol and host Fastify decided on. */
export function showProviderTheTrustedView(app: FastifyInstance) {
  app.addHook('onRequest', async (request) => {
    const { ip, protocol, host } = request;
    const headers = request.raw.headers;
    if (ip) headers['x-forwarded-for'] = ip;
    if (protocol) headers['x-forwarded-proto'] = protocol;
    if (host) headers['x-forwarded-host'] = host;
  });
}
