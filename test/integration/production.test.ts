// Production is strict: a database that once ran the development sandbox is refused until the sandbox is removed,
// the sandbox is never seeded, and after removal its published passwords open nothing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseLocation } from '../../src/db/database.ts';
import { SANDBOX_OFFICER_PASSWORD } from '../../src/sandbox/seed.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { freePort, SANDBOX_SECRET, startProvider } from '../helpers/provider.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let testDb: TestDatabase;
let dataDir: string;
let production: Record<string, string>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'dinhdanh-production-'));
  const databaseUrl = testDb.location.engine === 'postgres' ? testDb.location.url : undefined;
  // The database first runs as a developer's would: sandbox seeded.
  const location = databaseLocation({ databaseUrl, dataDir });
  const dev = await startProvider({ location, drop: async () => {} });
  await dev.close();
  production = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    ISSUER: 'https://id.example.vn',
    TRUST_PROXY: '1',
    SMS_GATEWAY_URL: 'https://sms.example.vn/send',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await testDb?.drop();
});

const run = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });

describe('production on a database that ran the sandbox', () => {
  it('refuses to start, naming what is there and the command that removes it', () => {
    const result = run(['src/main.ts'], { ...production, PORT: '0' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('development sandbox');
    expect(result.stderr).toContain('sandbox officer(s) with the published password');
    expect(result.stderr).toContain('the sandbox client');
    expect(result.stderr).toContain('npm run cli -- sandbox remove');
    expect(result.stderr).not.toContain('    at ');
  });

  it('starts once `cli sandbox remove` has run, and the published passwords open nothing', async () => {
    // As the README gives it: NODE_ENV and the database, nothing a serving provider needs (ISSUER, TRUST_PROXY, SMS_GATEWAY_URL).
    const { ISSUER: _issuer, TRUST_PROXY: _proxy, SMS_GATEWAY_URL: _gateway, ...databaseOnly } = production;
    const removed = run(['src/cli.ts', 'sandbox', 'remove'], databaseOnly);
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/sandbox removed: 4 officer\(s\), 1 client\(s\), \d+ synthetic citizen\(s\), 6 account\(s\)/);

    // No citizen-facing client receives codes over plain http in production.
    const portal = ['src/cli.ts', 'clients', 'create', '--profile', 'public_service', '--client-id', 'cong-thu', '--name', 'Cổng thử', '--organisation', 'UBND', '--domain', 'portal.example.vn', '--contact', 'ops@portal.example.vn', '--scope', 'openid profile'];
    const plain = run([...portal, '--redirect-uri', 'http://portal.example.vn/cb'], production);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toContain('redirect_uris must use https (or http to a loopback host) in production: "http://portal.example.vn/cb"');
    expect(run([...portal, '--redirect-uri', 'https://portal.example.vn/cb'], production).status).toBe(0);

    const port = await freePort();
    const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...production, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    try {
      const deadline = Date.now() + 60_000;
      while (!output.includes('Server listening')) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const base = `http://127.0.0.1:${port}`;
      const headers = { 'x-forwarded-proto': 'https' };
      expect((await fetch(`${base}/readyz`, { headers })).status).toBe(200);
      expect(output).not.toContain('test citizens');
      // On the embedded database the operator is told what it cannot promise; never on PostgreSQL.
      expect(output.includes('production on the embedded database')).toBe(testDb.location.engine === 'pglite');
      const officer = await fetch(`${base}/admin/sessions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'giamsat', password: SANDBOX_OFFICER_PASSWORD }),
      });
      expect(officer.status).toBe(401);
      const client = await fetch(`${base}/token`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`sandbox:${SANDBOX_SECRET}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      expect(client.status).toBe(401);
      expect(((await client.json()) as { error: string }).error).toBe('invalid_client');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

describe('production configuration', () => {
  it('refuses SEED_SANDBOX=true, naming it', () => {
    const result = run(['src/main.ts'], { ...production, PORT: '0', SEED_SANDBOX: 'true' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('SEED_SANDBOX');
  });

  it('refuses to start without an SMS gateway, or with one over plain http, in one line naming SMS_GATEWAY_URL', () => {
    const { SMS_GATEWAY_URL: _gateway, ...withoutGateway } = production;
    for (const env of [withoutGateway, { ...production, SMS_GATEWAY_URL: 'http://sms.example.vn/send' }]) {
      const result = run(['src/main.ts'], { ...env, PORT: '0' });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('SMS_GATEWAY_URL');
      expect(result.stderr).not.toContain('    at ');
    }
  });
});
