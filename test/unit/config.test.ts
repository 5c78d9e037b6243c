import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration from the environment', () => {
  it('runs with no variables at all: embedded database, sandbox on, localhost issuer', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, issuer: 'http://localhost:3000', databaseUrl: undefined, env: 'development' });
    expect(config.sandbox.seed).toBe(true);
    expect(config.argon2).toMatchObject({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(config.workers).toBe(1); // the embedded database is one process's
    expect(config.heapGrowingPercent).toBe(40);
    expect(loadConfig({ HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0); // V8 decides
  });

  it('runs one worker per core on PostgreSQL, refuses several on the embedded database, and shares the cores among hashes', () => {
    const onPostgres = loadConfig({ DATABASE_URL: 'postgres://db/x' });
    expect(onPostgres.workers).toBe(availableParallelism());
    expect(loadConfig({ DATABASE_URL: 'postgres://db/x', WORKERS: '1' }).argon2.concurrency).toBe(availableParallelism());
    expect(loadConfig({ DATABASE_URL: 'postgres://db/x', WORKERS: String(availableParallelism() * 2) }).argon2.concurrency).toBe(1);
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(/WORKERS: 2 processes cannot share the embedded database.*DATABASE_URL/);
    expect(loadConfig({ WORKERS: '1' }).workers).toBe(1);
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ ARGON2_MEMORY_KIB: '12' })).toThrow(/ARGON2_MEMORY_KIB/);
    expect(() => loadConfig({ SANDBOX_REDIRECT_URIS: 'not a url' })).toThrow(/SANDBOX_REDIRECT_URIS/);
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ HEAP_GROWING_PERCENT: '-5' })).toThrow(/HEAP_GROWING_PERCENT/);
  });

  it('publishes a rotated signing key on every instance before it signs: the activation delay covers a reload', () => {
    expect(loadConfig({}).keys).toEqual({ activationDelaySeconds: 3600, reloadSeconds: 30 });
    expect(() => loadConfig({ KEY_ACTIVATION_DELAY_SECONDS: '10', KEY_RELOAD_SECONDS: '60' })).toThrow(/KEY_ACTIVATION_DELAY_SECONDS: must be at least KEY_RELOAD_SECONDS \(60\)/);
  });

  it('requires a public issuer in production and never seeds the sandbox there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ISSUER/);
    const config = loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example.vn/', TRUST_PROXY: '1', SMS_GATEWAY_URL: 'https://sms.example.vn/send' });
    expect(config.issuer).toBe('https://id.example.vn');
    expect(config.sandbox.seed).toBe(false);
  });

  it('CIBA timings within bounds, and a local certificate authority for outgoing requests never in production', () => {
    expect(loadConfig({}).ciba).toEqual({ requestSeconds: 300, pollIntervalSeconds: 5 });
    expect(loadConfig({ CIBA_REQUEST_SECONDS: '120', CIBA_POLL_INTERVAL_SECONDS: '2' }).ciba).toEqual({ requestSeconds: 120, pollIntervalSeconds: 2 });
    expect(() => loadConfig({ CIBA_POLL_INTERVAL_SECONDS: '0' })).toThrow(/CIBA_POLL_INTERVAL_SECONDS/);
    expect(() => loadConfig({ CIBA_REQUEST_SECONDS: '3600' })).toThrow(/CIBA_REQUEST_SECONDS/);
    expect(loadConfig({ OUTBOUND_EXTRA_CA_FILE: '/tmp/ca.pem' }).outbound.extraCaFile).toBe('/tmp/ca.pem');
    expect(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example.vn', TRUST_PROXY: '1', OUTBOUND_EXTRA_CA_FILE: '/tmp/ca.pem' })).toThrow(/OUTBOUND_EXTRA_CA_FILE/);
  });

  it('requires an SMS gateway over https in production, where first passwords have no other way out', () => {
    const production = { NODE_ENV: 'production', ISSUER: 'https://id.example.vn', TRUST_PROXY: '1' };
    expect(() => loadConfig(production)).toThrow(/^invalid configuration:\n  SMS_GATEWAY_URL: required when NODE_ENV=production/);
    expect(() => loadConfig({ ...production, SMS_GATEWAY_URL: 'http://sms.example.vn/send' })).toThrow(/SMS_GATEWAY_URL: must be an https URL when NODE_ENV=production.*\(got http:\/\/sms\.example\.vn\)/);
    expect(loadConfig({ ...production, SMS_GATEWAY_URL: 'https://sms.example.vn/send' }).smsGateway?.url).toBe('https://sms.example.vn/send');
    // A relay on the same host: the text never crosses the network.
    for (const url of ['http://127.0.0.1:8025/send', 'http://localhost:8025/send', 'http://[::1]:8025/send']) {
      expect(loadConfig({ ...production, SMS_GATEWAY_URL: url }).smsGateway?.url).toBe(url);
    }
    // Development and tests keep the outbox and may use any gateway.
    expect(loadConfig({}).smsGateway).toBeUndefined();
    expect(loadConfig({ SMS_GATEWAY_URL: 'http://sms.example.vn/send' }).smsGateway?.url).toBe('http://sms.example.vn/send');
  });

  it('asks the operator CLI only for what it uses: no ISSUER, TRUST_PROXY or SMS gateway in production, a given one still checked', () => {
    expect(loadConfig({ NODE_ENV: 'production' }, { serving: false }).env).toBe('production');
    expect(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'http://id.example.vn' }, { serving: false })).toThrow(/ISSUER: must be an https URL/);
    // The clients commands use the issuer (sectors, production's redirect rules): they need it.
    expect(() => loadConfig({ NODE_ENV: 'production' }, { serving: false, needsIssuer: true })).toThrow(/ISSUER: required when NODE_ENV=production/);
    expect(loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example.vn' }, { serving: false, needsIssuer: true }).issuer).toBe('https://id.example.vn');
  });

  it('requires an https issuer in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'http://id.example.vn', TRUST_PROXY: '1' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', ISSUER: 'http://id.example.vn', TRUST_PROXY: '1' })).toThrow(/ISSUER: must be an https URL/);
  });

  it('refuses an https issuer without a trusted proxy, saying what to set', () => {
    // The provider speaks plain HTTP; without a trusted TLS proxy every secure cookie would fail per request.
    for (const env of [{ ISSUER: 'https://id.example.vn' }, { NODE_ENV: 'production', ISSUER: 'https://id.example.vn' }]) {
      expect(() => loadConfig(env)).toThrow(/TRUST_PROXY: required with an https ISSUER.*TRUST_PROXY=1/);
    }
  });

  it('takes TRUST_PROXY as a number of proxy hops or a list of proxy addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toEqual({ hops: 1 });
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toEqual({ hops: 2 });
    expect(loadConfig({ TRUST_PROXY: '10.0.0.2, 10.0.1.0/24,fd00::/8,::1,loopback' }).trustProxy).toEqual({
      addresses: ['10.0.0.2', '10.0.1.0/24', 'fd00::/8', '::1', 'loopback'],
    });
    for (const bad of ['10.0.0.300', '10.0.0.0/33', 'proxy.example.vn', '1.2.3.4/8/9', '99']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
  });

  it('sizes each worker\'s PostgreSQL pool with DATABASE_POOL_SIZE (10 by default), refusing what no pool can be', () => {
    expect(loadConfig({}).databasePoolSize).toBe(10);
    expect(loadConfig({ DATABASE_POOL_SIZE: '4' }).databasePoolSize).toBe(4);
    for (const bad of ['0', '-1', 'many', '2.5', '1001']) {
      expect(() => loadConfig({ DATABASE_POOL_SIZE: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ DATABASE_POOL_SIZE: bad }), bad).toThrow(/^invalid configuration:\n {2}DATABASE_POOL_SIZE: /);
    }
  });

  it('refuses TRUST_PROXY ranges that hold everyone or a good part of the internet, which is TRUST_PROXY=true by another name', () => {
    for (const wide of ['0.0.0.0/0', '::/0', '10.0.0.0/0', '0.0.0.0/1,128.0.0.0/1', '::ffff:0.0.0.0/96', '::/16', '1.0.0.0/7']) {
      expect(() => loadConfig({ TRUST_PROXY: wide }), wide).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: wide }), wide).toThrow(/TRUST_PROXY: .*X-Forwarded-For from/);
    }
    const everyEighth = Array.from({ length: 128 }, (_, i) => `${i}.0.0.0/8`).join(',');
    expect(() => loadConfig({ TRUST_PROXY: everyEighth })).toThrow(/TRUST_PROXY: these ranges together hold half of all IPv4 addresses/);
    for (const narrow of ['10.0.0.0/8', 'fc00::/7', '::ffff:10.0.0.0/104', '172.16.0.0/12,192.168.0.0/16']) {
      expect(loadConfig({ TRUST_PROXY: narrow }).trustProxy, narrow).toEqual({ addresses: narrow.split(',') });
    }
  });

  it('refuses an ISSUER with a query or a fragment, which the provider would refuse only after the migrations', () => {
    for (const issuer of ['https://id.example.vn/?a=b', 'https://id.example.vn/#top', 'https://id.example.vn?']) {
      expect(() => loadConfig({ ISSUER: issuer, TRUST_PROXY: '1' }), issuer).toThrow(/ISSUER: no query \(\?…\) or fragment/);
    }
  });

  it('refuses TRUST_PROXY=true, which would let every client choose its own address, and says what to set', () => {
    for (const value of ['true', 'yes']) {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY: .*X-Forwarded-For.*TRUST_PROXY=1.*TRUST_PROXY=10\.0\.0\.2/);
    }
  });

  it('counts rate limits in Redis only when REDIS_URL is set', () => {
    expect(loadConfig({}).redis).toBeUndefined();
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/0' }).redis).toEqual({ url: 'redis://127.0.0.1:6379/0', keyPrefix: 'dinhdanh:rate-limit:' });
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 3000, databaseUrl: undefined });
  });
});
