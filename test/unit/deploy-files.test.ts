// The shipped deployment (docker-compose.yml, deploy/nginx.conf) follows the README's production advice: read as
// docker compose and nginx would, and the replicas' environment passed through the provider's own loadConfig.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

const read = (file: string) => readFile(new URL(`../../${file}`, import.meta.url), 'utf8');

/** A service's block of docker-compose.yml: its lines up to the next service. */
function service(compose: string, name: string): string {
  const start = compose.indexOf(`\n  ${name}:`);
  expect(start, name).toBeGreaterThan(0);
  const rest = compose.slice(start + 1);
  const end = rest.slice(1).search(/\n {2}\S|\n\S/);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

/** The `environment:` map of a service, interpolated as docker compose does with the operator's variables. */
function environment(block: string, operator: Record<string, string>): Record<string, string> {
  const lines = block.split('\n');
  const from = lines.findIndex((line) => line.trim() === 'environment:');
  const env: Record<string, string> = {};
  for (const line of lines.slice(from + 1)) {
    if (line.trim().startsWith('#')) continue;
    const entry = /^ {6}([A-Z_][A-Z0-9_]*): ?(.*)$/.exec(line);
    if (!entry) break;
    env[entry[1]!] = entry[2]!.replace(/^"(.*)"$/, '$1').replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, text?: string) => {
      if (name in operator) return operator[name]!;
      if (kind === '?') throw new Error(`docker compose stops: ${text}`);
      return kind === '-' ? text ?? '' : '';
    });
  }
  return env;
}

const OPERATOR = { PUBLIC_HOST: 'id.example.vn', POSTGRES_PASSWORD: 'Secret2026', SMS_GATEWAY_URL: 'https://sms.example.vn/send' };

describe('docker-compose.yml', () => {
  it('runs the replicas in production, on an https issuer behind the one trusted proxy, and the config accepts it', async () => {
    const compose = await read('docker-compose.yml');
    for (const replica of ['provider-1']) {
      const env = environment(service(compose, replica), OPERATOR);
      expect(env.NODE_ENV).toBe('production');
      const config = loadConfig(env);
      expect(config).toMatchObject({ env: 'production', issuer: 'https://id.example.vn', trustProxy: { hops: 1 }, sandbox: { seed: false }, metrics: { token: undefined } });
      expect(config.databaseUrl).toBe('postgres://dinhdanh:Secret2026@postgres:5432/dinhdanh');
      // Set, not the host's cores: two replicas' connections, WORKERS × (pool + listener + job lock) each, stay
      // under PostgreSQL's default max_connections (100, 3 of them for superusers).
      expect(env.WORKERS).toBeDefined();
      expect(env.DATABASE_POOL_SIZE).toBeDefined();
      expect(2 * config.workers * (config.databasePoolSize + 2)).toBeLessThanOrEqual(97);
    }
    // The second replica is the first's copy (a YAML merge), so it runs the same.
    expect(service(compose, 'provider-2')).toContain('<<: *provider');
  });

  it('publishes no password and stops when the operator has not given the host or the database password', async () => {
    const compose = await read('docker-compose.yml');
    expect(compose).not.toMatch(/POSTGRES_PASSWORD: (?!\$\{POSTGRES_PASSWORD:\?)/);
    expect(compose).not.toMatch(/postgres:\/\/dinhdanh:(?!\$\{POSTGRES_PASSWORD:\?)/);
    expect(() => environment(service(compose, 'provider-1'), { POSTGRES_PASSWORD: 'x' })).toThrow(/PUBLIC_HOST/);
    expect(() => environment(service(compose, 'provider-1'), { PUBLIC_HOST: 'id.example.vn' })).toThrow(/POSTGRES_PASSWORD/);
    expect(() => environment(service(compose, 'provider-1'), { PUBLIC_HOST: 'id.example.vn', POSTGRES_PASSWORD: 'x' })).toThrow(/SMS_GATEWAY_URL/);
  });

  it('publishes only the proxy: the replicas are reached through it alone, which is what makes TRUST_PROXY=1 safe', async () => {
    const compose = await read('docker-compose.yml');
    for (const name of ['postgres', 'redis', 'provider-1', 'provider-2']) expect(service(compose, name), name).not.toMatch(/\n {4}ports:/);
    expect(service(compose, 'proxy')).toMatch(/ports:\n\s+- "443:443"/);
  });
});

describe('deploy/nginx.conf', () => {
  it('never serves /metrics to the public, terminates TLS, and tells the replicas the scheme, not the client’s host', async () => {
    const nginx = await read('deploy/nginx.conf');
    expect(nginx).toMatch(/location ~ \^\/metrics\(\/\|\$\) \{\s+return 404;\s+\}/);
    expect(nginx).toMatch(/listen 443 ssl/);
    expect(nginx).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    expect(nginx).toContain('proxy_set_header Host $server_name;');
    expect(nginx).toContain('proxy_set_header X-Forwarded-Host "";');
    expect(nginx).not.toContain('$http_host');
    expect(nginx).toContain('server_name ${PUBLIC_HOST};');
  });
});
