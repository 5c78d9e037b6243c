// Issue 9, items 1d and 1e: how the provider scales with processes on one PostgreSQL, and whether its memory stays
// flat under sustained sign-ins. Figures are ratios to the one-process run in the same invocation.
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { SANDBOX_CITIZENS } from '../src/sandbox/seed.ts';
import { servingEnv } from '../src/runtime-tuning.ts';
import { BARE_CLIENT, BENCH_API } from './bench-service.ts';
import { freePort, load, registerService, repeatFor, signIn, start, stop } from './throughput.ts';

const SANDBOX_SECRET = 'sandbox-secret-not-for-production';
const citizens = SANDBOX_CITIZENS.filter((c) => !('locked' in c && c.locked));

function providerEnv(port: number, extra: Record<string, string>) {
  return {
    // The memory settings npm start gives the provider (src/runtime-tuning.ts).
    ...servingEnv(),
    HOST: '127.0.0.1', PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, NODE_ENV: 'development', LOG_LEVEL: 'info',
    SEED_SANDBOX: 'true', SIGN_IN_RATE_PER_MINUTE: '100000', LOCKOUT_MAX_FAILURES: '100', ...extra,
  };
}
const ready = (base: string) => async () => (await fetch(`${base}/.well-known/openid-configuration`)).ok;

async function signInsFor(base: string, seconds: number, concurrency: number): Promise<number> {
  const config = await oidc.discovery(new URL(base), 'sandbox', undefined, oidc.ClientSecretBasic(SANDBOX_SECRET), { execute: [oidc.allowInsecureRequests] });
  const done = await repeatFor(seconds, concurrency, (slot) => signIn(base, config, citizens[slot % citizens.length]!));
  return done / seconds;
}

/** e. client_credentials and sign-ins per second with 1, 2 and 4 processes (WORKERS) on one PostgreSQL. */
export async function scalingBench(databaseUrl: string, options: { seconds: number; processes: number[] }) {
  const rows: Array<{ processes: number; clientCredentials: number; signIns: number }> = [];
  const basic = `Basic ${Buffer.from(`${BARE_CLIENT.client_id}:${BARE_CLIENT.client_secret}`).toString('base64')}`;
  for (const processes of options.processes) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = await start(['src/main.ts'], providerEnv(port, { DATABASE_URL: databaseUrl, WORKERS: String(processes) }), ready(base));
    try {
      await registerService(databaseUrl);
      const tokenLoad = () => load(`${base}/token`, {
        seconds: options.seconds, connections: 20, method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: BENCH_API, scope: 'bench:read' }).toString(),
      });
      await tokenLoad();
      const clientCredentials = (await tokenLoad()).perSecond;
      await signInsFor(base, 2, 2);
      rows.push({ processes, clientCredentials, signIns: await signInsFor(base, options.seconds, 4 * processes) });
    } finally {
      await stop(child);
    }
  }
  return rows;
}

async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

interface HeapSample {
  signIns: number;
  totalMiB: number;
  usedMiB: number;
  /** Resident memory V8's heap does not account for: malloc (argon2's blocks, pg's buffers), code, PGlite's WASM memory. */
  outsideMiB: number;
}

async function v8Heap(base: string): Promise<Omit<HeapSample, 'signIns'>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
  const totalMiB = value('nodejs_heap_size_total_bytes');
  return { totalMiB, usedMiB: value('nodejs_heap_size_used_bytes'), outsideMiB: value('process_resident_memory_bytes') - totalMiB };
}

/** d. Resident memory of one process across `count` complete sign-ins: sampled every second. */
export async function memoryBench(engine: { databaseUrl?: string }, count: number) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = engine.databaseUrl ? undefined : await mkdtemp(join(tmpdir(), 'dinhdanh-bench-'));
  const child = await start(['src/main.ts'], providerEnv(port, { WORKERS: '1', ...(engine.databaseUrl ? { DATABASE_URL: engine.databaseUrl } : { DATA_DIR: dataDir! }) }), ready(base));
  const samples: Array<{ signIns: number; mib: number }> = [];
  let done = 0;
  const sampler = setInterval(() => void residentMiB(child.pid!).then((mib) => samples.push({ signIns: done, mib }), () => undefined), 1000);
  // What the resident memory is made of: V8's heap (reserved and in use) and memory outside it, from the
  // process's own /metrics every 10 s, so a rise can be told apart from malloc's.
  const heap: HeapSample[] = [];
  const heapSampler = setInterval(() => void v8Heap(base).then((h) => heap.push({ signIns: done, ...h }), () => undefined), 10_000);
  try {
    const config = await oidc.discovery(new URL(base), 'sandbox', undefined, oidc.ClientSecretBasic(SANDBOX_SECRET), { execute: [oidc.allowInsecureRequests] });
    await Promise.all(Array.from({ length: 4 }, async (_, i) => {
      while (done < count) {
        done++;
        if (done % 10_000 === 0) process.stderr.write(`memory: ${done} sign-ins, ${samples.at(-1)?.mib.toFixed(0)} MiB\n`);
        await signIn(base, config, citizens[i % citizens.length]!);
      }
    }));
  } finally {
    clearInterval(sampler);
    clearInterval(heapSampler);
    await stop(child);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
  const secondHalf = samples.filter((s) => s.signIns >= count / 2);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    signIns: count,
    peakMiB: Math.max(...samples.map((s) => s.mib)),
    secondHalf: { min: Math.min(...secondHalf.map((s) => s.mib)), max: Math.max(...secondHalf.map((s) => s.mib)), trendMiBPer10k: trend(secondHalf) * 10_000 },
    // Flat or growing: the mean of each quarter of the run.
    quarterMeans: [0, 1, 2, 3].map((q) => mean(samples.filter((s) => s.signIns >= (q * count) / 4 && s.signIns < ((q + 1) * count) / 4 + (q === 3 ? 1 : 0)).map((s) => s.mib))),
    heapByQuarter: [0, 1, 2, 3].map((q) => {
      const inQuarter = heap.filter((h) => h.signIns >= (q * count) / 4 && h.signIns < ((q + 1) * count) / 4 + (q === 3 ? 1 : 0));
      return { totalMiB: mean(inQuarter.map((h) => h.totalMiB)), usedMiB: mean(inQuarter.map((h) => h.usedMiB)), outsideMiB: mean(inQuarter.map((h) => h.outsideMiB)) };
    }),
    // At most 400 of them in the results file: enough to draw the curve.
    samples: samples.filter((_, i) => i % Math.ceil(samples.length / 400) === 0),
    heap: heap.filter((_, i) => i % Math.ceil(heap.length / 200) === 0),
  };
}

/** The least-squares slope of resident memory against sign-ins done (MiB per sign-in). */
function trend(samples: Array<{ signIns: number; mib: number }>): number {
  const mx = samples.reduce((a, s) => a + s.signIns, 0) / samples.length;
  const my = samples.reduce((a, s) => a + s.mib, 0) / samples.length;
  const covariance = samples.reduce((a, s) => a + (s.signIns - mx) * (s.mib - my), 0);
  const variance = samples.reduce((a, s) => a + (s.signIns - mx) ** 2, 0);
  return variance === 0 ? 0 : covariance / variance;
}
