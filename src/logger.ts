// pino JSON logs that never carry secrets or personal data: credentials, tokens, cookies, ID and phone numbers.
import pino, { type DestinationStream, type Logger } from 'pino';

// Not `code`: that key is an error's code (FST_CSRF_INVALID_TOKEN, 23505, invalid_grant) and must stay readable.
// Authorization and SMS codes reach a log only inside URLs, which loggableUrl masks; one-time codes are `otp`.
const SENSITIVE_KEYS = [
  'password', 'password_confirm', 'username', 'personalId', 'personal_id', 'phone', 'phone_number', 'email',
  'otp', 'token', 'access_token', 'refresh_token', 'id_token', 'id_token_hint', 'login_hint',
  'client_secret', 'client_assertion', 'code_verifier', 'secret', '_csrf',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.dpop',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`]),
];

// Query parameters whose values are personal data or credentials.
const SENSITIVE_QUERY = new Set(['login_hint', 'id_token_hint', 'logout_hint', 'code', 'token', 'state', 'nonce', 'code_challenge', 'request', 'client_assertion']);
const MAX_URL = 2048;

// Digits may be grouped by spaces, dots, dashes or plus signs, written as such or percent-encoded as a URL carries
// them (/citizens/001%20090%20012%20345, ?phone=0912+345+678 where + is a space), and led by a sign (+ or %2B).
const SEPARATOR = String.raw`(?:[\s.\-+]|%(?:20|09|2[bBdDeE]|[cC]2%[aA]0))`;
const DIGITS_AND_SEPARATORS = new RegExp(String.raw`(?:\+|%2[bB])?\d(?:\d|${SEPARATOR})*\d`, 'g');
// An IPv4 address (127.0.0.1, the database's host in an error) stays readable. None of the numbers masked here
// is written so: ID numbers begin with a province code 0xx, phones with 0, 84 or a group above 255.
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Anything shaped like a personal ID or phone number (nine characters or more: 912345678 is a phone), masked. */
export function maskNumbers(text: string): string {
  return text.replace(DIGITS_AND_SEPARATORS, (found) => {
    // Nine characters or more once decoded, as before separators were read encoded: dates (1990-01-15) stay masked.
    const length = found.replace(/%[\da-fA-F]{2}/g, ' ').length;
    return length < 9 || IPV4.test(found) ? found : '[number]';
  });
}

/** The request URL as it may be logged: sensitive query values and anything shaped like an ID or phone number masked. */
export function loggableUrl(url: string): string {
  const [path = '', query] = url.slice(0, MAX_URL).split('?', 2);
  const cut = url.length > MAX_URL ? '…' : '';
  if (!query) return `${maskNumbers(path)}${cut}`;
  const params = new URLSearchParams(query);
  for (const key of [...params.keys()]) {
    if (SENSITIVE_QUERY.has(key)) params.set(key, '[Redacted]');
  }
  return `${maskNumbers(path)}?${maskNumbers(params.toString())}${cut}`;
}

// What an error may tell the log: names and codes, never values. PostgreSQL's `detail` (the conflicting key),
// `where` (the statement's parameters), `hint`, `internalQuery` and the query text are left out.
const ERROR_FIELDS = ['code', 'statusCode', 'status', 'error', 'error_description', 'severity', 'routine', 'constraint', 'table', 'column', 'schema', 'dataType', 'errno', 'syscall'];

/** A message or stack without the input values PostgreSQL and JSON.parse quote in their messages, numbers masked. */
function withoutValues(text: string): string {
  return maskNumbers(
    text
      .replace(/: "(?:[^"\\\n]|\\.)*"/g, ': "[value]"')
      .replace(/"(?:[^"\\\n]|\\.)*" is not valid JSON/g, '"[value]" is not valid JSON'),
  ).slice(0, 4000);
}

/** The pino `err` serializer: what an error may say in the log. */
export function errorForLog(error: unknown, depth = 0): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { message: withoutValues(String(error)) };
  const e = error as Record<string, unknown>;
  const out: Record<string, unknown> = { type: (e.constructor as { name?: string } | undefined)?.name ?? 'Error', message: withoutValues(String(e.message ?? '')) };
  if (typeof e.stack === 'string') out.stack = withoutValues(e.stack);
  for (const key of ERROR_FIELDS) {
    const value = e[key];
    if (typeof value === 'number') out[key] = value;
    else if (typeof value === 'string') out[key] = withoutValues(value).slice(0, 200);
  }
  if (depth < 3 && e.cause !== undefined) out.cause = errorForLog(e.cause, depth + 1);
  if (depth < 3 && Array.isArray(e.errors)) out.errors = e.errors.slice(0, 5).map((inner) => errorForLog(inner, depth + 1));
  return out;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      serializers: {
        req: (req: { method: string; url: string; ip?: string; id?: string }) => ({ id: req.id, method: req.method, url: loggableUrl(req.url), ip: req.ip }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: errorForLog,
      },
      // A warning or an error goes out at once, not with the next block of the buffered output (standardOutput).
      hooks: {
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level >= 40) this.flush();
        },
      },
    },
    destination,
  );
}

/**
 * Standard output in blocks of up to 4 KiB, at most a second apart. Written line by line, every request's log line
 * cost a trip through the thread pool (pino writes asynchronously). Warnings and errors go out at once (createLogger),
 * the start-up lines once the server listens (serve.ts), and what is buffered on exit.
 */
export function standardOutput(): DestinationStream {
  const out = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => out.flush(), 1000).unref();
  return out;
}

const NO_BINDINGS = {};

/**
 * Fastify's per-request child logger, made without the redaction pass over its bindings: the only binding is the
 * request id (ours, or a proxy's header), which no redaction path matches, and that pass cost more per request
 * (about 8 KiB of garbage) than the rest of the child. What the child logs is still redacted as the parent's lines
 * are. A route that sets its own level or serializers gets pino's ordinary child.
 */
export function requestChildLogger(logger: Logger, bindings: { reqId?: unknown }, options: pino.ChildLoggerOptions): Logger {
  if (options.level !== undefined || options.serializers !== undefined || Object.keys(bindings).some((key) => key !== 'reqId')) return logger.child(bindings, options);
  const child = logger.child(NO_BINDINGS);
  // pino.symbols is pino's documented hook for integrations; the bound fields are kept as this JSON fragment.
  const fields = child as unknown as Record<symbol, string>;
  fields[pino.symbols.chindingsSym] += `,"reqId":${JSON.stringify(String(bindings.reqId))}`;
  return child;
}
