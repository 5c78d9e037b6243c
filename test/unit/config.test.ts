import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration from the environment', () => {
  it('runs with no variables at all: embedded database, sandbox on, localhost issuer', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, issuer: 'http://localhost:3000', databaseUrl: undefined, env: 'development' });
    expect(config.sandbox.seed).toBe(true);
    expect(config.argon2).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ ARGON2_MEMORY_KIB: '12' })).toThrow(/ARGON2_MEMORY_KIB/);
    expect(() => loadConfig({ SANDBOX_REDIRECT_URIS: 'not a url' })).toThrow(/SANDBOX_REDIRECT_URIS/);
    expect(() => loadConfig({ TRUST_PROXY: 'maybe' })).toThrow(/TRUST_PROXY/);
  });

  it('requires a public issuer in production and never seeds the sandbox there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ISSUER/);
    const config = loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example.vn/' });
    expect(config.issuer).toBe('https://id.example.vn');
    expect(config.sandbox.seed).toBe(false);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 3000, databaseUrl: undefined });
  });
});
