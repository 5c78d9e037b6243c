// Whose X-Forwarded-* headers are believed: decided once by Fastify from TRUST_PROXY, and shown the same to the
// provider, whose Koa would otherwise believe any client's headers (its `proxy` setting is all or nothing), or
// the Host header (without it).
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

/**
 * Rewrites X-Forwarded-For to the client address Fastify decided on, and X-Forwarded-Proto/-Host to the issuer's
 * protocol and host: the provider builds its endpoints' URLs (discovery, redirects) from these, and a Host or
 * X-Forwarded-Host a client chose would put them on the client's host for every cache in between to keep.
 * (Under an https issuer, a request that did not come over https was already refused: plain-http-guard.ts.)
 */
export function showProviderTheTrustedView(app: FastifyInstance, issuer: string) {
  const { host, protocol } = new URL(issuer);
  const proto = protocol.slice(0, -1);
  app.addHook('onRequest', async (request) => {
    const headers = request.raw.headers;
    if (request.ip) headers['x-forwarded-for'] = request.ip;
    headers['x-forwarded-proto'] = proto;
    headers['x-forwarded-host'] = host;
  });
}
