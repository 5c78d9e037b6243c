// `npm run cli -- clients …` as real processes on a scratch database: an operator registers, approves, suspends,
// reinstates and re-keys a relying party without SQL, and a real relying party (openid-client) feels each change.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, ENGINE, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let testDb: TestDatabase;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dinhdanh-clients-cli-'));
  testDb = ENGINE === 'postgres' ? await createTestDatabase() : { location: { engine: 'pglite', dataDir: join(dir, 'data', 'pglite') }, drop: async () => {} };
});
afterAll(async () => {
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]) {
  const location = testDb.location;
  const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATA_DIR: join(dir, 'data'), ...(location.engine === 'postgres' ? { DATABASE_URL: location.url } : {}) };
  return spawnSync(process.execPath, ['src/cli.ts', 'clients', ...args], { cwd: ROOT, env, encoding: 'utf8' });
}

/** The embedded database has one writer: the provider runs only between CLI commands. */
async function withProvider<T>(fn: (provider: RunningProvider) => Promise<T>): Promise<T> {
  const provider = await startProvider(testDb);
  try {
    return await fn(provider);
  } finally {
    await provider.close();
  }
}

/** A back-office client asks for a token (client_credentials): what a service does first. */
async function tokenFor(provider: RunningProvider, secret: string) {
  const config = await oidc.discovery(new URL(provider.url), 'so-lieu', undefined, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
  return oidc.clientCredentialsGrant(config, {}).then(
    (tokens) => ({ ok: true as const, tokens }),
    // A 401 comes back as the WWW-Authenticate challenge or the JSON body, as the provider sent it.
    (error: { error?: string; cause?: Array<{ parameters?: { error?: string } }> | { error?: string } }) => ({
      ok: false as const,
      error: error.error ?? (Array.isArray(error.cause) ? error.cause[0]?.parameters?.error : error.cause?.error),
    }),
  );
}

it('registers, approves, suspends, reinstates and rotates a client; the provider follows every change', async () => {
  const created = cli(['create', '--profile', 'service', '--client-id', 'so-lieu', '--name', 'Đồng bộ số liệu', '--organisation', 'Tổng cục Thống kê',
    '--domain', 'gso.gov.vn', '--contact', 'ops@gso.gov.vn', '--scope', 'stats.read']);
  expect(created.status, created.stderr).toBe(0);
  expect(created.stdout).toContain('state: pending');
  const secret = /client_secret: (\S+)/.exec(created.stdout)?.[1];
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

  // Refusals name what is wrong, and change nothing.
  const usage = cli(['create', '--profile', 'service', '--name', 'X']);
  expect(usage.status).toBe(2);
  expect(usage.stderr).toContain('--organisation is required');
  const refused = cli(['create', '--profile', 'public_service', '--name', 'X', '--organisation', 'Y', '--contact', 'a@b.vn', '--scope', 'openid', '--redirect-uri', 'not a url']);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain('redirect_uris');
  expect(cli(['approve', 'khong-co']).stderr).toContain('no relying party has client_id khong-co');

  expect(await withProvider((provider) => tokenFor(provider, secret!))).toEqual({ ok: false, error: 'invalid_client' });
  expect(cli(['approve', 'so-lieu']).stdout).toContain('state: approved');
  const approved = await withProvider((provider) => tokenFor(provider, secret!));
  expect(approved.ok).toBe(true);

  const unexplained = cli(['suspend', 'so-lieu']);
  expect(unexplained.status).toBe(1);
  expect(unexplained.stderr).toContain('reason: say why');
  const suspended = cli(['suspend', 'so-lieu', '--reason', 'hợp đồng hết hạn']).stdout;
  expect(suspended).toContain('state: suspended (hợp đồng hết hạn)');
  // No provider runs between these commands: nothing holds the client in memory (workers.test.ts has two that do).
  expect(suspended).toContain('in effect (no instance is running)');
  expect(created.stdout).not.toContain('in effect');
  expect(await withProvider((provider) => tokenFor(provider, secret!))).toEqual({ ok: false, error: 'invalid_client' });
  expect(cli(['reinstate', 'so-lieu']).stdout).toContain('state: approved');

  const rotated = cli(['rotate-secret', 'so-lieu']);
  const fresh = /client_secret: (\S+)/.exec(rotated.stdout)?.[1];
  expect(fresh).toBeTruthy();
  expect(fresh).not.toBe(secret);
  await withProvider(async (provider) => {
    expect(await tokenFor(provider, secret!)).toEqual({ ok: false, error: 'invalid_client' });
    expect((await tokenFor(provider, fresh!)).ok).toBe(true);
  });

  const listed = cli(['list', '--profile', 'service']);
  expect(listed.stdout).toMatch(/so-lieu\tservice\tapproved/);
  const shown = cli(['show', 'so-lieu', '--json']);
  const record = JSON.parse(shown.stdout) as { audit: Array<{ action: string; actor_id: string }> };
  expect(record.audit.map((e) => e.action)).toEqual(['client.registered', 'client.approved', 'client.suspended', 'client.reinstated', 'client.secret_rotated']);
  expect(record.audit.every((e) => e.actor_id === 'cli')).toBe(true);
  // The secret is nowhere in what the registry shows.
  expect(shown.stdout).not.toContain(fresh!);
});

it('refuses a list filter no client can match, naming the values that exist, instead of listing nothing', () => {
  const byState = cli(['list', '--state', 'bogus']);
  expect(byState.status).toBe(2);
  expect(byState.stderr).toContain('--state must be one of pending, approved, suspended');
  const byProfile = cli(['list', '--profile', 'bogus']);
  expect(byProfile.status).toBe(2);
  expect(byProfile.stderr).toContain('--profile must be one of public_service, bank, service, sandbox, first_party');
  expect(cli(['list', '--state', 'approved']).status).toBe(0);
});
