// The provider's Prometheus metrics, one registry per app instance: tests run several apps in one process, so
// prom-client's global default registry is never used. The names are a contract with docs/grafana/dinhdanh.json.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

// Seconds; from a cached userinfo answer to a slow sign-in (argon2 alone takes tens of milliseconds).
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export type Metrics = ReturnType<typeof defineMetrics>;

export function defineMetrics() {
  const registry = new Registry();
  // Process metrics (CPU, memory, event-loop lag, GC, handles) under prom-client's standard names.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'dinhdanh_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern (never the raw path) and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'dinhdanh_http_request_duration_seconds',
      help: 'Time from request to the end of the response, by method and route pattern',
      labelNames: ['method', 'route'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    signIns: new Counter({
      name: 'dinhdanh_sign_ins_total',
      help: 'Citizen sign-in attempts by outcome and by the assurance level the service asked for',
      labelNames: ['outcome', 'level'] as const,
      registers,
    }),
    tokens: new Counter({
      name: 'dinhdanh_tokens_issued_total',
      help: 'Tokens issued at the token endpoint, by grant type and token (access_token, id_token, refresh_token)',
      labelNames: ['grant_type', 'token'] as const,
      registers,
    }),
    argon2InFlight: new Gauge({
      name: 'dinhdanh_argon2_operations_in_flight',
      help: 'Password hashes and verifications started and not finished; those beyond dinhdanh_argon2_threads wait for a thread',
      registers,
    }),
    argon2Threads: new Gauge({
      name: 'dinhdanh_argon2_threads',
      help: 'Threads argon2 runs on (the libuv thread pool, UV_THREADPOOL_SIZE)',
      registers,
    }),
    argon2Duration: new Histogram({
      name: 'dinhdanh_argon2_duration_seconds',
      help: 'Time of one password hash or verification, waiting for a thread included',
      labelNames: ['operation'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    queryDuration: new Histogram({
      name: 'dinhdanh_db_query_duration_seconds',
      help: 'Database queries that succeeded, by kind of statement, from build to result (waiting for a connection included)',
      labelNames: ['operation'] as const,
      buckets: QUERY_BUCKETS,
      registers,
    }),
  };
}
