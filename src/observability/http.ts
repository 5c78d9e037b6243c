// Request rate and latency per route pattern. The label is the route as registered (/interaction/:uid,
// /admin/citizens/:personalId, the provider's /token), never the raw URL: no ID number or token reaches a
// label, and every path no route matches is the one label "unmatched".
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from './metrics.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const UNMATCHED = 'unmatched';

export function countRequests(app: FastifyInstance, metrics: Metrics) {
  // onResponse runs when the response has finished, also for the provider's routes, whose replies are hijacked.
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const method = METHODS.has(request.method) ? request.method : 'OTHER';
    const route = request.routeOptions.url ?? UNMATCHED;
    metrics.httpRequests.inc({ method, route, status_code: String(reply.statusCode) });
    metrics.httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
  });
}
