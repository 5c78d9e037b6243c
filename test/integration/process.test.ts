// The provider as an operator runs it: `node src/main.ts` and `node src/cli.ts`, as separate processes.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { isRunning, startProviderProcess } from '../helpers/process.ts';
import { freePort } from '../helpers/provider.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let testDb: TestDatabase;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'dinhdanh-process-'));
  // On PostgreSQL the processes use the test database; otherwise their own embedded one under dataDir.
  const location = testDb.location;
  env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...(location.engine === 'postgres' ? { DATABASE_URL: location.url } : {}),
  };
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await testDb?.drop();
});

describe('operator commands', () => {
  it('npm run migrate applies the migrations once, then reports the database up to date', () => {
    const run = () => spawnSync(process.execPath, ['src/cli.ts', 'migrate'], { cwd: ROOT, env, encoding: 'utf8' });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/applied \d+ migration\(s\): 0001_provider, 0002_citizens_accounts, /);
    const second = run();
    expect(second.status).toBe(0);
    const count = Number(/applied (\d+) migration/.exec(first.stdout)![1]);
    expect(second.stdout).toContain(`database is up to date (${count} migration(s) already applied)`);
  }, 480_000);

  it('refuses to start with a bad variable, naming it', () => {
    const result = spawnSync(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...env, PORT: 'abc' }, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).not.toContain('    at ');
  });

  it('refuses, in one line naming the variable, an issuer with a query or fragment and a TRUST_PROXY range that holds everyone', () => {
    for (const bad of [
      { ISSUER: 'https://id.example.vn/?a=b', TRUST_PROXY: '1' },
      { ISSUER: 'https://id.example.vn/#top', TRUST_PROXY: '1' },
      { TRUST_PROXY: '0.0.0.0/0' },
      { TRUST_PROXY: '::/0' },
      { TRUST_PROXY: '0.0.0.0/1,128.0.0.0/1' },
    ]) {
      const result = spawnSync(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...env, ...bad }, encoding: 'utf8' });
      const name = Object.keys(bad).find((key) => key !== 'TRUST_PROXY' || !('ISSUER' in bad))!;
      expect(result.status, JSON.stringify(bad)).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^dinhdanh: invalid configuration:\\n  ${name}: [^\\n]+\\n$`));
      expect(result.stderr).not.toContain('    at ');
    }
  });

  it('says in one line that PORT is taken when another process listens there, and exits non-zero', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(1);
      expect(stderr).toContain(`dinhdanh: cannot start: PORT: ${port} is already in use on 127.0.0.1`);
      expect(stderr).not.toContain('    at ');
      expect(stderr).not.toContain('EADDRINUSE');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 300_000);

  it('starts, prints the sandbox for a newcomer, serves, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    // A guard against a hang, not a measure: creating a database takes minutes on a busy machine.
    const deadline = Date.now() + 200_000;
    while (!stderr.includes('test citizens')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL'); // a provider left running would hold the data directory for the next test
        throw new Error(`did not start:\n${stdout}\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 200));
    try {
      // What a newcomer reads on the console.
      expect(stderr).toContain(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
      expect(stderr).toContain('client_id      sandbox');
      expect(stderr).toContain(`password for all: ${SANDBOX_PASSWORD}`);
      for (const citizen of SANDBOX_CITIZENS) expect(stderr).toContain(citizen.personalId);
      // Logs on stdout are JSON lines (they reach it in blocks: there may be none yet, never a line that is not JSON).
      for (const line of stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
      // The embedded database has no autovacuum to check (it runs single-user): no false alarm for a newcomer.
      // (On PostgreSQL the warning is the server's to earn: faults.test.ts tests it.)
      if (!env.DATABASE_URL) expect(stdout).not.toContain('autovacuum');

      const discovery = (await (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).json()) as { acr_values_supported: string[] };
      expect(discovery.acr_values_supported).toEqual(['urn:vn:eid:loa:1', 'urn:vn:eid:loa:2']);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);

      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(stdout).toContain('shutting down');
    } finally {
      // A provider left running would hold the data directory for the next test.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
  }, 480_000);

  it('stops gracefully when an orchestrator sends SIGTERM to npm start: exit 0, port closed, database released', async () => {
    const provider = await startProviderProcess(env, { viaNpm: true });
    try {
      expect(await provider.stop('SIGTERM')).toBe(0);
      // The provider itself stopped, not only npm in front of it.
      expect(isRunning(provider.pid)).toBe(false);
      await expect(fetch(`${provider.url}/readyz`)).rejects.toThrow();
      expect(provider.output()).toContain('"signal":"SIGTERM","msg":"shutting down"');
      if (!env.DATABASE_URL) expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
    } finally {
      if (isRunning(provider.pid)) process.kill(provider.pid, 'SIGKILL');
    }
  }, 480_000);
});
