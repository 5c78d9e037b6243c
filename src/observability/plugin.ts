// /metrics in Prometheus text format, and the request counting every route shares. In production the endpoint
// is served only with METRICS_TOKEN set, and then only to a scraper that sends it as a bearer token: the
// instance listens on one port, behind the public proxy, so the token is what keeps the figures private.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { joinClusterMetrics } from './cluster-metrics.ts';
import { countRequests } from './http.ts';
import type { Metrics } from './metrics.ts';

export interface MetricsOptions {
  metrics: Metrics;
  /** METRICS_TOKEN: when set, /metrics wants it as `Authorization: Bearer …`. */
  token: string | undefined;
  /** In production /metrics is not served at all without a token. */
  production: boolean;
}

/** Constant-time: both sides are hashed to the same length first, so neither length nor content leaks by timing. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

async function metricsRoutes(app: FastifyInstance, { metrics, token, production }: MetricsOptions) {
  countRequests(app, metrics);
  if (production && !token) return;
  const wholeInstance = joinClusterMetrics(metrics.registry);
  app.get('/metrics', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    if (token && !bearerMatches(request.headers.authorization, token)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .send({ error: 'invalid_token', error_description: 'metrics are served with the bearer token set in METRICS_TOKEN' });
    }
    // One worker of several: the whole instance's figures, summed by the primary (cluster-metrics.ts).
    const text = wholeInstance ? await wholeInstance().catch(() => metrics.registry.metrics()) : await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

// Not encapsulated (Fastify's 'skip-override', what fastify-plugin sets): the counting hook must see every route.
export const metricsPlugin = Object.assign(metricsRoutes, { [Symbol.for('skip-override')]: true });
