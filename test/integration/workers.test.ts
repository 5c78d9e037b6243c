// WORKERS=2 as an operator runs it (`node src/main.ts`) on PostgreSQL: both workers serve the one port, a killed
// worker is replaced while requests keep succeeding, the background jobs run in one worker per database (and
// move when it dies), a client the CLI suspends is refused on the next request, and SIGTERM stops all with 0.
// PostgreSQL: the one given by TEST_DATABASE_URL, else a server of the test's own (several processes need it).
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseLocation, openDatabase } from '../../src/db/database.ts';
import { createScratchDatabase, type ScratchDatabase } from '../../src/db/scratch.ts';
import { pendingSmsCount, queueSms } from '../../src/notify/sms.ts';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.ts';
import { cli, isRunning, ROOT, startProviderProcess, type ProviderProcess } from '../helpers/process.ts';

let server: PostgresServer | undefined;
let scratch: ScratchDatabase;
let dataDir: string;
let env: Record<string, string>;
let provider: ProviderProcess;
/** The secret of the client the CLI registers (thong-ke). */
let secret: string;

beforeAll(async () => {
  if (!process.env.TEST_DATABASE_URL) server = await startPostgresServer();
  scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL ?? server!.url, 'dinhdanh_workers');
  dataDir = mkdtempSync(join(tmpdir(), 'dinhdanh-workers-'));
  env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: scratch.url,
    WORKERS: '2',
    DATABASE_POOL_SIZE: '3',
    // debug: each background-job pass is logged by the worker that ran it.
    LOG_LEVEL: 'debug',
    PURGE_INTERVAL_SECONDS: '10',
  };
  provider = await startProviderProcess(env);
}, 300_000);
afterAll(async () => {
  if (provider && isRunning(provider.pid)) await provider.stop('SIGKILL');
  await scratch?.drop();
  await server?.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: string;
}

/** One request on a connection of its own, so the primary hands each to the next worker. */
function send(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${provider.url}${path}`, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function workerAnswering(): Promise<number> {
  const answer = await send('/healthz');
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.body) as { worker: number }).worker;
}

/** Asks until `wanted` holds for the set of workers seen; a guard against a hang, not a measure. */
async function seeWorkers(wanted: (seen: Set<number>) => boolean): Promise<Set<number>> {
  const seen = new Set<number>();
  const deadline = Date.now() + 120_000;
  while (!wanted(seen)) {
    if (Date.now() > deadline) throw new Error(`workers seen: ${[...seen].join(', ')}\n${provider.output()}`);
    seen.add(await workerAnswering());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return seen;
}

function logLines(): Array<{ pid: number; msg: string; job?: string; worker?: number }> {
  return provider
    .output()
    .split('\n')
    .slice(0, -1) // complete lines only: the output arrives in blocks
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { pid: number; msg: string; job?: string });
}
const purgePasses = () => logLines().filter((line) => line.msg === 'background job pass' && line.job === 'purge');

async function until(what: string, condition: () => boolean, guardMs = 120_000) {
  const deadline = Date.now() + guardMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} never happened:\n${provider.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function clientCli(...args: string[]) {
  const result = cli(env, 'clients', ...args);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

const tokenHeaders = (secret: string) => ({ authorization: `Basic ${Buffer.from(`thong-ke:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' });
const tokenRequest = (secret: string) =>
  send('/token', {
    method: 'POST',
    headers: tokenHeaders(secret),
    body: 'grant_type=client_credentials',
  });

describe('WORKERS=2 on PostgreSQL', () => {
  it('serves the port from both workers, under one primary', async () => {
    const seen = await seeWorkers((workers) => workers.size === 2);
    expect(seen.has(provider.pid)).toBe(false);
    expect(logLines().find((line) => line.msg === 'starting workers')).toMatchObject({ pid: provider.pid, workers: 2 });
  });

  it('runs the purge in one worker per pass, and in another once that worker dies; a killed worker is replaced and requests keep succeeding', async () => {
    await until('two purge passes', () => purgePasses().length >= 2);
    const leaders = new Set(purgePasses().map((line) => line.pid));
    expect(leaders.size).toBe(1);
    const [leader] = leaders;
    const before = await seeWorkers((workers) => workers.size === 2);
    const survivor = [...before].find((pid) => pid !== leader)!;

    process.kill(leader!, 'SIGKILL');
    await until('the primary noticing', () => provider.output().includes('worker died; starting another'));
    // The survivor (and then the replacement) answers every request meanwhile.
    for (let i = 0; i < 10; i++) expect(await workerAnswering()).not.toBe(leader);
    const after = await seeWorkers((workers) => workers.size === 2);
    expect(after.has(leader!)).toBe(false);
    expect(after.has(survivor)).toBe(true);

    // The lock went with the dead worker's connection: a live one runs the next passes, still one per pass.
    const passesBefore = purgePasses().length;
    await until('a purge pass after the death', () => purgePasses().length >= passesBefore + 2);
    const later = purgePasses().slice(passesBefore);
    expect(new Set(later.map((line) => line.pid)).size).toBe(1);
    expect(later[0]!.pid).not.toBe(leader);
  }, 300_000);

  it('counts what belongs to the database once in /metrics, not once per worker', async () => {
    await seeWorkers((seen) => seen.size === 2);
    const database = await openDatabase(databaseLocation({ databaseUrl: scratch.url, dataDir }));
    try {
      await queueSms(database.db, { to: '+84912345678', purpose: 'first_password', text: 'Mật khẩu đăng nhập lần đầu: abc .' });
      const pending = await pendingSmsCount(database.db);
      const text = (await send('/metrics')).body;
      expect(text).toMatch(/^dinhdanh_db_info\{engine="postgres"\} 1$/m);
      expect(text).toMatch(new RegExp(`^dinhdanh_sms_queue_pending ${pending}$`, 'm'));
      // The pools are each worker's own: those are summed.
      expect(Number(/^dinhdanh_db_pool_max_connections (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(1);
    } finally {
      await database.close();
    }
  }, 120_000);

  it('gives each worker a pool of DATABASE_POOL_SIZE connections: the instance may open WORKERS times that', async () => {
    await seeWorkers((seen) => seen.size === 2);
    const text = (await send('/metrics')).body;
    expect(/^dinhdanh_db_pool_max_connections (\d+)$/m.exec(text)?.[1]).toBe('6');
  }, 120_000);

  it('answers /metrics at any worker with the figures of every worker, summed', async () => {
    const workers = await seeWorkers((seen) => seen.size === 2);
    const healthChecks = async () => {
      const text = (await send('/metrics')).body;
      return [...text.matchAll(/^dinhdanh_http_requests_total\{[^}]*route="\/healthz"[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = await healthChecks();
    // Each on a connection of its own, so the kernel spreads them over both workers.
    for (let i = 0; i < 20; i++) await workerAnswering();
    // One worker alone would have seen about half of them; the instance saw all.
    expect((await healthChecks()) - before).toBeGreaterThanOrEqual(20);
    expect(workers.size).toBe(2);
  }, 120_000);

  it('refuses a client the CLI suspended on the next request, in every worker, and serves it again once reinstated', async () => {
    const created = clientCli('create', '--profile', 'service', '--client-id', 'thong-ke', '--name', 'Thống kê', '--organisation', 'Tổng cục Thống kê',
      '--domain', 'gso.gov.vn', '--contact', 'ops@gso.gov.vn', '--scope', 'stats.read');
    secret = /client_secret: (\S+)/.exec(created)![1]!;
    expect((await tokenRequest(secret)).status).toBe(401); // pending
    clientCli('approve', 'thong-ke');
    // Several requests, so both workers have the approved client cached.
    for (let i = 0; i < 6; i++) expect((await tokenRequest(secret)).status).toBe(200);

    // The CLI reports the suspension once both workers have dropped the client: the very next request is refused.
    expect(clientCli('suspend', 'thong-ke', '--reason', 'hợp đồng hết hạn')).toContain('in effect on every running instance (2)');
    for (let i = 0; i < 6; i++) {
      const refused = await tokenRequest(secret);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'invalid_client' });
    }
    clientCli('reinstate', 'thong-ke');
    for (let i = 0; i < 6; i++) expect((await tokenRequest(secret)).status).toBe(200);
  }, 120_000);

  it('finishes a request in flight when SIGTERM comes, then stops every worker and exits 0', async () => {
    const workers = await seeWorkers((seen) => seen.size === 2);
    let stopped: Promise<number | null> | undefined;
    const shuttingDown = () => logLines().filter((line) => line.msg === 'shutting down').length;
    // A worker has the request once it answers 100 Continue; the body follows only after every process heard SIGTERM.
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = request(`${provider.url}/token`, { method: 'POST', agent: false, headers: { ...tokenHeaders(secret), expect: '100-continue' } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += String(chunk)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.on('continue', () => {
        stopped = provider.stop('SIGTERM');
        until('every process shutting down', () => shuttingDown() >= 3, 30_000).then(() => req.end('grant_type=client_credentials'), reject);
      });
      req.flushHeaders();
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toHaveProperty('access_token');
    expect(await stopped).toBe(0);
    for (const pid of workers) await until(`worker ${pid} to exit`, () => !isRunning(pid), 30_000);
    await expect(send('/healthz')).rejects.toThrow();
  }, 60_000);
});

it('refuses several workers on the embedded database, saying how to get them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dinhdanh-workers-pglite-'));
  try {
    const result = spawnSync(process.execPath, ['src/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATA_DIR: dir, WORKERS: '2' }, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('WORKERS: 2 processes cannot share the embedded database');
    expect(result.stderr).toContain('DATABASE_URL');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
