// pino JSON logs that never carry secrets or personal data: credentials, tokens, cookies, ID and phone numbers.
import pino, { type DestinationStream, type Logger } from 'pino';

const SENSITIVE_KEYS = [
  'password', 'password_confirm', 'username', 'personalId', 'personal_id', 'phone', 'phone_number', 'email',
  'otp', 'code', 'token', 'access_token', 'refresh_token', 'id_token', 'id_token_hint', 'login_hint',
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
const SENSITIVE_QUERY = new Set(['login_hint', 'id_token_hint', 'code', 'token', 'state', 'nonce', 'code_challenge', 'request', 'client_assertion']);

/** The request URL as it may be logged: sensitive query values and anything shaped like an ID or phone number masked. */
export function loggableUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const masked = (text: string) => text.replace(/(\+?\d[\d\s.-]{8,}\d)/g, '[number]');
  if (!query) return masked(path);
  const params = new URLSearchParams(query);
  for (const key of [...params.keys()]) {
    if (SENSITIVE_QUERY.has(key)) params.set(key, '[Redacted]');
  }
  return `${masked(path)}?${masked(params.toString())}`;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      serializers: {
        req: (req: { method: string; url: string; ip?: string; id?: string }) => ({ id: req.id, method: req.method, url: loggableUrl(req.url), ip: req.ip }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
