// The open-loop load generator of item c, run as a process of its own (`node bench/steady-load.ts SPEC`, the
// answer on stdout as JSON): the bench's own process carries autocannon's results, openid-client and every
// sign-in's leftovers, and its pauses counted as the provider's latency (docs/capacity.md, 2026-12-03). This one
// holds nothing but one time per request, like a separate wrk.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

export interface Call {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** What the generator sends: one fixed call, or token refreshes, each with a refresh token the last answer gave. */
export type Spec = { rate: number; seconds: number } & ({ kind: 'fixed'; call: Call } | { kind: 'refresh'; url: string; authorization: string; tokens: string[] });

export interface Latency {
  p50: number;
  p99: number;
  /** Every answer the provider gave, the warm-up's with them: what its CPU and GCs over the run are shared by. */
  answers: number;
}

/**
 * Seconds sent at the rate before the timed ones, on the same connections, and not counted. The generator is a
 * fresh process and its first requests run its HTTP client uncompiled: in 30 s runs at 1,000/s that start was
 * 100–1,500 of the answers over 20 ms, where some 300 decide p99 (docs/capacity.md, eighth look). The provider is
 * warm already: it has just answered at its maximum rate.
 */
export const WARM_UP_SECONDS = 3;

/**
 * Latencies at a steady `rate` per second: each request starts on its own schedule, whether or not earlier ones
 * have answered (an open loop, as independent callers arrive). autocannon's `overallRate` cannot stand in: it lets
 * each connection send its whole second's quota at once and then wait, so every second starts with a burst at
 * full speed and the figures are those of the maximum rate.
 */
export async function steadyLatency(rate: number, seconds: number, send: () => Promise<number>): Promise<Latency> {
  const warmUp = Math.round(rate * WARM_UP_SECONDS);
  const timed = Math.max(1, Math.round(rate * seconds));
  const total = warmUp + timed;
  const latencies = new Float64Array(timed);
  let answered = 0;
  let failure: unknown;
  const allAnswered = Promise.withResolvers<void>();
  for (let n = 0, t0 = performance.now(); n < total; n++) {
    const due = t0 + (n * 1000) / rate;
    if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    send().then((ms) => n >= warmUp && (latencies[n - warmUp] = ms), (error: unknown) => (failure ??= error)).finally(() => ++answered === total && allAnswered.resolve());
  }
  await allAnswered.promise;
  if (failure) throw failure;
  const sorted = latencies.sort();
  return { p50: Math.round(sorted[Math.floor(timed * 0.5)]!), p99: Math.round(sorted[Math.floor(timed * 0.99)]!), answers: total };
}

// node:http rather than fetch: fetch's objects outlive young-generation GCs, and the generator's own full GCs
// would be counted as the provider's latency.
const keepAlive = new Agent({ keepAlive: true });

/**
 * The generator's connections, as a relying party's pool would hold: a request due while all are busy waits for
 * one, and the wait counts in its latency (as wrk2 does). With no bound, every slow answer made it open another
 * connection: hundreds at once overflowed the provider's listen queue (the kernel's "SYN flooding" warning), a
 * dropped connection attempt is tried again only after a second, and resets ended two runs (docs/capacity.md,
 * eighth look).
 */
const GENERATOR_CONNECTIONS = 20;

/** One request's time to its whole answer, which must be a success; the answer's body with it. */
export function timedCall(url: string, init: Omit<Call, 'url'>, started = performance.now(), again = false): Promise<{ ms: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: init.method, headers: init.headers, agent: keepAlive }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('error', reject);
      response.on('end', () => (response.statusCode === 200 ? resolve({ ms: performance.now() - started, body }) : reject(new Error(`${url} answered ${response.statusCode}: ${body}`))));
    });
    sent.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive connection the server closed just as this request went out on it: sent once more on a new
      // one, as HTTP clients do (Node's request.reusedSocket documents the race), its time counted from the first.
      if (!again && sent.reusedSocket && error.code === 'ECONNRESET') resolve(timedCall(url, init, started, true));
      else reject(error);
    });
    sent.end(init.body);
  });
}

/** A refresh that must rotate: the next refresh token with the time it took. */
export async function refresh(url: string, authorization: string, token: string): Promise<{ next: string; ms: number }> {
  const { ms, body } = await timedCall(url, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString() });
  const next = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
  if (!next) throw new Error(`refresh answered without a refresh token: ${body}`);
  return { next, ms };
}

async function generate(spec: Spec): Promise<Latency> {
  // Only in the generator's own process: the bench's process drives its maximum-rate runs through the same agent.
  keepAlive.maxSockets = GENERATOR_CONNECTIONS;
  if (spec.kind === 'fixed') {
    const { url, ...init } = spec.call;
    return steadyLatency(spec.rate, spec.seconds, async () => (await timedCall(url, init)).ms);
  }
  const chains = [...spec.tokens];
  let alive = chains.length;
  // A request due while every chain is busy (a stall in the provider) waits for the next free one, and the wait
  // counts in its latency, as it would for a caller that arrived then. A chain whose refresh fails is gone; once
  // all are, the waiting requests fail too instead of waiting for ever.
  const waiting: Array<PromiseWithResolvers<string>> = [];
  return steadyLatency(spec.rate, spec.seconds, async () => {
    const due = performance.now();
    let token = chains.pop();
    if (token === undefined) {
      if (alive === 0) throw new Error('every refresh chain ended on an error');
      const turn = Promise.withResolvers<string>();
      waiting.push(turn);
      token = await turn.promise;
    }
    try {
      const { next } = await refresh(spec.url, spec.authorization, token);
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(next);
      else chains.push(next);
    } catch (error) {
      if (--alive === 0) for (const waiter of waiting.splice(0)) waiter.reject(error);
      throw error;
    }
    return performance.now() - due;
  });
}

/** Runs the generator in a fresh process of its own and returns what it measured. */
export async function steadyLoad(spec: Spec): Promise<Latency> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  return JSON.parse(out) as Latency;
}

if (import.meta.main) {
  process.stdout.write(JSON.stringify(await generate(JSON.parse(process.argv[2]!) as Spec)));
  keepAlive.destroy();
}
