// Which errors mean "the database is not there right now" (restart, failover, network) rather than a bug:
// those are answered 503 with Retry-After, so callers wait and retry instead of giving up on a 500.

/** Seconds a caller is asked to wait before retrying while the database is unavailable. */
export const RETRY_AFTER_SECONDS = 2;

// PostgreSQL SQLSTATEs: 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up).
const SHUTDOWN_STATES = new Set(['57P01', '57P02', '57P03']);
// Socket errors from node:net while connecting to or talking with the server (EAI_AGAIN: a name server that did not answer).
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// pg and pg-pool throw plain Errors (no code) for these; PGlite says so once closed.
const MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'PGlite is closed',
];

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SHUTDOWN_STATES.has(code) || SOCKET_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (MESSAGES.some((message) => error.message.includes(message))) return true;
  // Node reports a refused connection to every address of a host as an AggregateError; pg-pool wraps its timeout.
  if (error instanceof AggregateError && error.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(error.cause, depth + 1);
}
