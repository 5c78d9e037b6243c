// Environment → typed, validated configuration. Fails fast with the name of the bad variable.
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { HEAP_GROWING_PERCENT } from './runtime-tuning.ts';
import { tooWide } from './trusted-ranges.ts';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('localhost'),
  PORT: int(0, 65535).default(3000),
  // The provider refuses an issuer with a query or fragment (OpenID Connect Discovery §3), after the migrations ran.
  ISSUER: z
    .url({ protocol: /^https?$/ })
    .refine((url) => !url.includes('?') && !url.includes('#'), 'no query (?…) or fragment (#…): the issuer is the bare URL of the provider, e.g. https://id.example.vn')
    .optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DIRECT_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_NAMED_STATEMENTS: bool.optional(),
  DATABASE_WAIT_SECONDS: int(0, 3600).default(60),
  DATABASE_POOL_SIZE: int(1, 1000).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().trim().optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z.string().min(1).max(100).default('dinhdanh:rate-limit:'),
  ARGON2_MEMORY_KIB: int(8192, 4_194_304).default(19_456),
  ARGON2_TIME_COST: int(1, 20).default(2),
  ARGON2_PARALLELISM: int(1, 16).default(1),
  WORKERS: int(1, 256).optional(),
  HEAP_GROWING_PERCENT: int(0, 400).default(HEAP_GROWING_PERCENT),
  PURGE_INTERVAL_SECONDS: int(10, 86_400).default(300),
  LOCKOUT_MAX_FAILURES: int(1, 100).default(5),
  LOCKOUT_WINDOW_SECONDS: int(10, 86_400).default(900),
  LOCKOUT_SECONDS: int(10, 604_800).default(900),
  RESET_CODE_SECONDS: int(60, 3600).default(600),
  RESET_RESEND_SECONDS: int(0, 3600).default(60),
  RESET_MAX_ATTEMPTS: int(1, 20).default(5),
  RESET_MAX_CODES_PER_DAY: int(1, 100).default(5),
  OTP_SECONDS: int(60, 1800).default(300),
  OTP_MAX_ATTEMPTS: int(1, 20).default(5),
  OTP_RESEND_BASE_SECONDS: int(0, 600).default(30),
  OTP_MAX_SENDS: int(1, 20).default(5),
  OTP_MAX_CODES_PER_DAY: int(1, 100).default(10),
  OTP_MAX_WRONG_PER_DAY: int(1, 100).default(10),
  OFFICER_SESSION_SECONDS: int(60, 86_400).default(28_800),
  SIGN_IN_RATE_PER_MINUTE: int(1, 100_000).default(60),
  SMS_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
  SMS_GATEWAY_TOKEN: z.string().min(1).optional(),
  SMS_DISPATCH_INTERVAL_SECONDS: int(1, 3600).default(5),
  SMS_GIVE_UP_HOURS: int(1, 720).default(24),
  SEED_SANDBOX: bool.optional(),
  SANDBOX_REDIRECT_URIS: z.string().default('http://localhost:8080/callback'),
  SANDBOX_CLIENT_SECRET: z.string().min(16).default('sandbox-secret-not-for-production'),
  SANDBOX_POST_LOGOUT_REDIRECT_URIS: z.string().default(''),
  OUTBOUND_ALLOW_PRIVATE: bool.optional(),
  OUTBOUND_EXTRA_CA_FILE: z.string().min(1).optional(),
  CIBA_REQUEST_SECONDS: int(30, 600).default(300),
  CIBA_POLL_INTERVAL_SECONDS: int(1, 60).default(5),
  KEY_ACTIVATION_DELAY_SECONDS: int(0, 30 * 86_400).default(3600),
  KEY_RELOAD_SECONDS: int(1, 3600).default(30),
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters (a random secret the scraper sends as a bearer token)').optional(),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Public URL of the provider; the `iss` of every token. */
  issuer: string;
  /** PostgreSQL connection string; absent means the embedded PGlite database under dataDir. */
  databaseUrl: string | undefined;
  /** The same database without a transaction-mode pooler (PgBouncer) between: for work that needs a session (the import). */
  directDatabaseUrl: string | undefined;
  /** Repeated queries prepared by name on each connection; off by default when DIRECT_DATABASE_URL says a pooler is in between. */
  databaseNamedStatements: boolean;
  /** How long a starting process waits for an unavailable database before it gives up (src/db/wait.ts). */
  databaseWaitSeconds: number;
  /** PostgreSQL connections each serving process (each worker) pools; it also holds two of its own (notices, job lock). */
  databasePoolSize: number;
  dataDir: string;
  logLevel: string;
  /** Which forwarding proxies' X-Forwarded-* headers are believed; false: none (the client connects directly). */
  trustProxy: TrustProxy;
  /** Absent: rate limits are counted in the database. */
  redis: { url: string; keyPrefix: string } | undefined;
  /** concurrency: hashes one process computes at once (the rest queue); its share of the cores. */
  argon2: { memoryCost: number; timeCost: number; parallelism: number; concurrency: number };
  /** Processes serving the port (src/cluster.ts); 1: this process serves alone. */
  workers: number;
  /** The old generation's growth between full GCs, in percent (src/runtime-tuning.ts); 0: V8 decides. */
  heapGrowingPercent: number;
  purgeIntervalSeconds: number;
  lockout: { maxFailures: number; windowSeconds: number; lockSeconds: number };
  passwordReset: { codeSeconds: number; resendSeconds: number; maxAttempts: number; maxCodesPerDay: number };
  /** The SMS sign-in code that takes a level-2 account to level 2. */
  secondFactor: { codeSeconds: number; maxAttempts: number; resendBaseSeconds: number; maxSends: number; maxCodesPerDay: number; maxWrongPerDay: number };
  officerSessionSeconds: number;
  /** Sign-in and reset form posts one network address may make per minute. */
  signInRatePerMinute: number;
  /** Absent: SMS stay in the outbox table (development, sandbox, tests). */
  smsGateway: { url: string; token: string | undefined; intervalSeconds: number; giveUpSeconds: number } | undefined;
  /** postLogoutRedirectUris: besides each redirect URI's origin + '/' and the redirect URIs themselves. */
  sandbox: { seed: boolean; redirectUris: string[]; clientSecret: string; postLogoutRedirectUris: string[] };
  /**
   * Whether the provider's own requests (back-channel logout, jwks_uri, sector_identifier_uri) may reach loopback
   * and private addresses: relying parties on 127.0.0.1 in development and tests; never in production.
   */
  outbound: { allowPrivateNetworks: boolean; extraCaFile?: string | undefined };
  /** CIBA: how long a bank's request waits for the citizen's answer, and how often a polling bank may ask. */
  ciba: { requestSeconds: number; pollIntervalSeconds: number };
  /**
   * Signing-key rotation: a rotated key signs activationDelaySeconds after it is published (relying parties
   * refresh their cached JWKS meanwhile); every instance reloads the keys every reloadSeconds.
   */
  keys: { activationDelaySeconds: number; reloadSeconds: number };
  /** /metrics wants this bearer token when set; in production it is served only when set. */
  metrics: { token: string | undefined };
}

/** How many proxies stand in front (each appends to X-Forwarded-For), or their addresses and CIDR ranges. */
export type TrustProxy = false | { hops: number } | { addresses: string[] };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * serving: false for the operator CLI, which serves nothing: what only a serving provider needs (ISSUER,
 * TRUST_PROXY, SMS_GATEWAY_URL in production) is not demanded, though a value given is still checked. A command
 * that does use the issuer (clients: sectors, redirect rules) asks for it with needsIssuer.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, use: { serving?: boolean; needsIssuer?: boolean } = {}): Config {
  const serving = use.serving ?? true;
  const needsIssuer = use.needsIssuer ?? serving;
  // Empty strings mean "not set", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const uriList = (name: 'SANDBOX_REDIRECT_URIS' | 'SANDBOX_POST_LOGOUT_REDIRECT_URIS') => {
    const uris = e[name].split(/[\s,]+/).filter(Boolean);
    for (const uri of uris) {
      if (!URL.canParse(uri)) throw new ConfigError(`invalid configuration:\n  ${name}: not a URL: ${uri}`);
    }
    return uris;
  };
  const redirectUris = uriList('SANDBOX_REDIRECT_URIS');
  const postLogoutRedirectUris = uriList('SANDBOX_POST_LOGOUT_REDIRECT_URIS');
  if (e.NODE_ENV === 'production' && !e.ISSUER && needsIssuer) {
    throw new ConfigError('invalid configuration:\n  ISSUER: required when NODE_ENV=production (the public https URL of the provider)');
  }
  if (e.NODE_ENV === 'production' && e.SEED_SANDBOX) {
    throw new ConfigError('invalid configuration:\n  SEED_SANDBOX: the sandbox (published passwords, synthetic citizens) is never seeded when NODE_ENV=production');
  }
  if (e.NODE_ENV === 'production' && e.OUTBOUND_ALLOW_PRIVATE) {
    throw new ConfigError('invalid configuration:\n  OUTBOUND_ALLOW_PRIVATE: the provider never calls loopback or private addresses when NODE_ENV=production (SSRF protection)');
  }
  if (e.NODE_ENV === 'production' && e.OUTBOUND_EXTRA_CA_FILE) {
    throw new ConfigError('invalid configuration:\n  OUTBOUND_EXTRA_CA_FILE: a local certificate authority for relying parties\' endpoints is for development and tests only');
  }
  if (e.NODE_ENV === 'production' && e.ISSUER && !e.ISSUER.startsWith('https:')) {
    throw new ConfigError(`invalid configuration:\n  ISSUER: must be an https URL when NODE_ENV=production (got ${e.ISSUER})`);
  }
  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  // The provider itself only speaks plain HTTP: an https issuer means a TLS proxy in front, which must be trusted
  // to say the request came over https, or every secure cookie is refused.
  if (e.ISSUER?.startsWith('https:') && trustProxy === false && serving) {
    throw new ConfigError(
      'invalid configuration:\n  TRUST_PROXY: required with an https ISSUER (the provider speaks plain HTTP, so a TLS proxy must be in front);' +
        ' set it to the number of proxies in front of the provider (TRUST_PROXY=1) or to their addresses (TRUST_PROXY=10.0.0.2,10.0.1.0/24)',
    );
  }
  // First passwords and codes go out by SMS: in production there is no sandbox inbox, so without a gateway they
  // would sit in the outbox in plain text, and over plain http they would cross the network readable.
  if (e.NODE_ENV === 'production' && !e.SMS_GATEWAY_URL && serving) {
    throw new ConfigError('invalid configuration:\n  SMS_GATEWAY_URL: required when NODE_ENV=production (first passwords and codes are sent through it; there is no SMS inbox in production)');
  }
  if (e.NODE_ENV === 'production' && e.SMS_GATEWAY_URL?.startsWith('http:') && !isLoopbackUrl(e.SMS_GATEWAY_URL)) {
    throw new ConfigError(`invalid configuration:\n  SMS_GATEWAY_URL: must be an https URL when NODE_ENV=production, or http to a relay on this host (127.0.0.1, ::1, localhost) (got ${new URL(e.SMS_GATEWAY_URL).origin})`);
  }
  if (e.DIRECT_DATABASE_URL && !e.DATABASE_URL) {
    throw new ConfigError('invalid configuration:\n  DIRECT_DATABASE_URL: only means something beside DATABASE_URL (the same PostgreSQL database, reached without PgBouncer)');
  }
  // Every instance must have published a next key before any of them signs with it.
  if (e.KEY_ACTIVATION_DELAY_SECONDS < e.KEY_RELOAD_SECONDS) {
    throw new ConfigError(
      `invalid configuration:\n  KEY_ACTIVATION_DELAY_SECONDS: must be at least KEY_RELOAD_SECONDS (${e.KEY_RELOAD_SECONDS}), so that every instance publishes a new key before any signs with it`,
    );
  }
  const workers = e.WORKERS ?? (e.DATABASE_URL ? availableParallelism() : 1);
  // Refused rather than quietly reduced: an operator who asked for N processes is planning capacity on N.
  if (workers > 1 && !e.DATABASE_URL) {
    throw new ConfigError(
      `invalid configuration:\n  WORKERS: ${workers} processes cannot share the embedded database (one process opens its data directory);` +
        ' set DATABASE_URL to run several workers on PostgreSQL, or WORKERS=1',
    );
  }
  const issuerHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST;
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    issuer: (e.ISSUER ?? `http://${issuerHost}:${e.PORT}`).replace(/\/$/, ''),
    databaseUrl: e.DATABASE_URL,
    directDatabaseUrl: e.DIRECT_DATABASE_URL,
    // A pooler declared (DIRECT_DATABASE_URL): off unless asked for, as PgBouncer before 1.21 cannot keep them.
    databaseNamedStatements: e.DATABASE_NAMED_STATEMENTS ?? !e.DIRECT_DATABASE_URL,
    databaseWaitSeconds: e.DATABASE_WAIT_SECONDS,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    trustProxy,
    redis: e.REDIS_URL ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : undefined,
    argon2: {
      memoryCost: e.ARGON2_MEMORY_KIB,
      timeCost: e.ARGON2_TIME_COST,
      parallelism: e.ARGON2_PARALLELISM,
      // Each worker gets its share of the cores: more hashes at once than cores only makes every one slower.
      concurrency: Math.max(1, Math.floor(availableParallelism() / workers)),
    },
    workers,
    heapGrowingPercent: e.HEAP_GROWING_PERCENT,
    purgeIntervalSeconds: e.PURGE_INTERVAL_SECONDS,
    lockout: { maxFailures: e.LOCKOUT_MAX_FAILURES, windowSeconds: e.LOCKOUT_WINDOW_SECONDS, lockSeconds: e.LOCKOUT_SECONDS },
    passwordReset: { codeSeconds: e.RESET_CODE_SECONDS, resendSeconds: e.RESET_RESEND_SECONDS, maxAttempts: e.RESET_MAX_ATTEMPTS, maxCodesPerDay: e.RESET_MAX_CODES_PER_DAY },
    secondFactor: { codeSeconds: e.OTP_SECONDS, maxAttempts: e.OTP_MAX_ATTEMPTS, resendBaseSeconds: e.OTP_RESEND_BASE_SECONDS, maxSends: e.OTP_MAX_SENDS, maxCodesPerDay: e.OTP_MAX_CODES_PER_DAY, maxWrongPerDay: e.OTP_MAX_WRONG_PER_DAY },
    officerSessionSeconds: e.OFFICER_SESSION_SECONDS,
    signInRatePerMinute: e.SIGN_IN_RATE_PER_MINUTE,
    smsGateway: e.SMS_GATEWAY_URL ? { url: e.SMS_GATEWAY_URL, token: e.SMS_GATEWAY_TOKEN, intervalSeconds: e.SMS_DISPATCH_INTERVAL_SECONDS, giveUpSeconds: e.SMS_GIVE_UP_HOURS * 3600 } : undefined,
    sandbox: {
      seed: e.SEED_SANDBOX ?? e.NODE_ENV !== 'production',
      redirectUris,
      clientSecret: e.SANDBOX_CLIENT_SECRET,
      postLogoutRedirectUris,
    },
    outbound: { allowPrivateNetworks: e.OUTBOUND_ALLOW_PRIVATE ?? e.NODE_ENV !== 'production', extraCaFile: e.OUTBOUND_EXTRA_CA_FILE },
    ciba: { requestSeconds: e.CIBA_REQUEST_SECONDS, pollIntervalSeconds: e.CIBA_POLL_INTERVAL_SECONDS },
    keys: { activationDelaySeconds: e.KEY_ACTIVATION_DELAY_SECONDS, reloadSeconds: e.KEY_RELOAD_SECONDS },
    metrics: { token: e.METRICS_TOKEN },
  };
}

/** A URL to this host: its requests never cross the network. */
function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function parseTrustProxy(value: string | undefined): TrustProxy {
  const bad = (why: string) => new ConfigError(`invalid configuration:\n  TRUST_PROXY: ${why}`);
  if (value === undefined || ['false', 'no', '0'].includes(value.toLowerCase())) return false;
  if (['true', 'yes'].includes(value.toLowerCase())) {
    throw bad(
      `"${value}" would believe X-Forwarded-For from anyone, so every client could choose the address its rate limit is counted on;` +
        ' set the number of proxies in front of the provider (TRUST_PROXY=1) or their addresses (TRUST_PROXY=10.0.0.2,10.0.1.0/24)',
    );
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) throw bad(`${hops} proxy hops is more than any real chain; give the number of proxies in front of the provider`);
    return { hops };
  }
  const addresses = value.split(',').map((part) => part.trim()).filter(Boolean);
  for (const address of addresses) {
    if (!isProxyAddress(address)) {
      throw bad(`"${address}" is neither a proxy count nor an IP address, CIDR range or one of loopback, linklocal, uniquelocal`);
    }
  }
  if (addresses.length === 0) throw bad('give the number of proxies in front of the provider or their addresses');
  const wide = tooWide(addresses);
  if (wide) throw bad(wide);
  return { addresses };
}

function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
