// The embedded database belongs to one process: a second one is refused at once, saying who holds it, and a
// holder killed with SIGKILL does not keep the database locked.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { cli, embeddedEnv, isRunning, startProviderProcess, type ProviderProcess } from '../helpers/process.ts';

let dataDir: string;
let env: Record<string, string>;
let extract: string;
const running: ProviderProcess[] = [];
// Each test starts processes that create or recover a database: minutes on a busy machine, not a hang.
const SLOW = 480_000;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'dinhdanh-lock-'));
  // No sandbox: the extract's records are then all new to the database.
  env = embeddedEnv(dataDir, { SEED_SANDBOX: 'false' });
  extract = join(dataDir, 'extract.ndjson');
  const generated = cli(env, 'generate', '--count', '30', '--seed', 'lock-test', '--out', extract);
  expect(generated.status, generated.stderr).toBe(0);
});
afterAll(async () => {
  for (const provider of running) await provider.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<ProviderProcess> {
  const provider = await startProviderProcess(env);
  running.push(provider);
  return provider;
}

function expectRefusedBy(result: ReturnType<typeof cli>, pid: number) {
  expect(result.status, result.stdout).toBe(1);
  expect(result.stderr).toContain(`in use by process ${pid} (node src/main.ts`);
  expect(result.stderr).toContain('Stop that process first');
  expect(result.stderr).toContain('DATABASE_URL');
  expect(result.stderr).not.toContain('    at ');
}

describe('one process on the embedded database', () => {
  it('refuses an import and a migration while the provider runs on the same data, and writes nothing', async () => {
    const provider = await start();
    expectRefusedBy(cli(env, 'import', extract), provider.pid);
    expect(existsSync(`${extract}.rejects.ndjson`)).toBe(false);
    expectRefusedBy(cli(env, 'migrate'), provider.pid);

    expect(await provider.stop()).toBe(0);
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(false);
    // Every record is new: the refused import wrote none of them.
    const imported = cli(env, 'import', extract);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('30 inserted, 0 updated, 0 unchanged');
  }, SLOW);

  it('lets a new provider and an import in after the holder was killed with SIGKILL', async () => {
    const killed = await start();
    expect(await killed.stop('SIGKILL')).toBe(null);
    expect(existsSync(join(dataDir, 'pglite.lock'))).toBe(true); // what the killed process left behind

    const successor = await start();
    expect(await (await fetch(`${successor.url}/.well-known/openid-configuration`)).json()).toHaveProperty('issuer');
    // The lock is the successor's now.
    expectRefusedBy(cli(env, 'import', extract), successor.pid);

    await successor.stop('SIGKILL');
    expect(isRunning(successor.pid)).toBe(false);
    const imported = cli(env, 'import', extract);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('30 read');
  }, SLOW);

  it('refuses a second opener in the same process until the first closes', async () => {
    const dir = join(dataDir, 'in-process');
    const first = await openDatabase({ engine: 'pglite', dataDir: dir });
    await expect(openDatabase({ engine: 'pglite', dataDir: dir })).rejects.toThrow(`in use by process ${process.pid}`);
    await first.close();
    const second = await openDatabase({ engine: 'pglite', dataDir: dir });
    await second.close();
  }, SLOW);
});
