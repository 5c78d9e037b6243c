// Throughput against references measured in the same run, on the same machine (issue 9, item 1a–c):
//   a. client_credentials through the whole provider vs oidc-provider alone (bench/bare-provider.ts), the same
//      token format (ES256 JWT for an API), one process each, the same load, rounds alternating;
//   b. complete sign-ins per second (authorize → password → consent → code → token → userinfo, no browser)
//      vs argon2id verifies per second alone, same parameters, same concurrency; beside it, the CPU oidc-provider
//      alone spends on the same flow (bench/bare-sign-in-provider.ts);
//   c. userinfo, introspection and token refresh p50/p99 at half the rate the provider reached for each, sent by a
//      load generator of its own (bench/steady-load.ts).
// Only ratios and percentiles mean anything: the load generator shares the cores with what it measures.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import * as oidc from 'openid-client';
import { hashClientSecret } from '../src/clients/secrets.ts';
import { addResourceServer, grantResourceAccess } from '../src/clients/resource-servers.ts';
import { databaseLocation, openDatabase } from '../src/db/database.ts';
import { loadConfig } from '../src/config.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../src/sandbox/seed.ts';
import { csrfToken, formAction, UserAgent } from '../test/helpers/user-agent.ts';
import { servingEnv } from '../src/runtime-tuning.ts';
import { BARE_CLIENT, BARE_SIGN_IN_CLIENT, BENCH_API, SIGN_IN_REDIRECT } from './bench-service.ts';
import { refresh, steadyLoad, timedCall, WARM_UP_SECONDS, type Call } from './steady-load.ts';
import { cpuNow, cpuSince, processCpuSeconds, type CpuShares } from './cpu.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SANDBOX_SECRET = 'sandbox-secret-not-for-production';
// Item a: pairs of rounds (one each side) and each round's length.
const A_PAIRS = 7;
const A_ROUND_SECONDS = 5;
// Item c: how long each call is sent at half its maximum rate. In 10 s, p99 (the 100th slowest of some 10,000
// answers) was decided by whether a second full GC fell inside the window (docs/capacity.md); 30 s holds several.
const HALF_RATE_SECONDS = 30;

export interface ThroughputOptions {
  databaseUrl: string;
  seconds: number;
  rounds: number;
  connections: number;
  signInConcurrency: number;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** A child process that is ready once it prints `ready` or answers /healthz. */
export async function start(args: string[], env: Record<string, string>, ready: () => Promise<boolean>): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    if (await ready().catch(() => false)) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`${args.join(' ')} did not start`);
}

export const stop = async (child: ChildProcess) => {
  child.kill('SIGTERM');
  if (child.exitCode === null) await once(child, 'exit');
};

/** Database queries the provider has run so far (its /metrics; one process, so one scrape sees them all). */
export async function queriesSoFar(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return [...text.matchAll(/^dinhdanh_db_query_duration_seconds_count\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function load(url: string, options: Partial<autocannon.Options> & { seconds: number; connections: number }) {
  const { seconds, ...rest } = options;
  const result = await autocannon({ ...rest, url, duration: seconds });
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  return { perSecond: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** Registers the service client and its API in the full provider's database (as the operator API would). */
export async function registerService(databaseUrl: string) {
  const database = await openDatabase(databaseLocation(loadConfig({ DATABASE_URL: databaseUrl })));
  try {
    await database.db.insertInto('relying_parties').values({
      client_id: BARE_CLIENT.client_id,
      metadata: JSON.stringify({ client_id: BARE_CLIENT.client_id, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }),
      profile: 'service',
      state: 'approved',
      scopes: ['bench:read'],
      secret_hash: hashClientSecret(BARE_CLIENT.client_secret),
    }).onConflict((oc) => oc.column('client_id').doNothing()).execute();
    await addResourceServer(database.db, { identifier: BENCH_API, name: 'Bench API', scopes: ['bench:read'], accessTokenFormat: 'jwt', accessTokenTtl: 600 }).catch(() => undefined);
    await grantResourceAccess(database.db, BARE_CLIENT.client_id, BENCH_API, ['bench:read']);
  } finally {
    await database.close();
  }
}

/** A page's form to send: where, and with which fields. */
type FormAnswer = (html: string) => { action: string; fields: Record<string, string> };

/** One complete sign-in over HTTP as a relying party and a browser would do it, each page answered by `answer`. */
async function signInFlow(issuer: string, config: oidc.Configuration, answer: FormAnswer, extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: SIGN_IN_REDIRECT, scope: 'openid profile', ...extra, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const agent = new UserAgent();
  let step = await agent.follow(url.href, issuer);
  for (let pages = 0; pages < 4 && step.page; pages++) {
    const { action, fields } = answer(step.page.html);
    step = await agent.follow(new URL(action, step.page.url).toString(), issuer, { form: fields });
  }
  const tokens = await oidc.authorizationCodeGrant(config, new URL(step.redirect!), { pkceCodeVerifier: verifier, expectedState: state });
  await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
  return tokens;
}

/** One complete sign-in through our pages (password, then consent); returns the tokens. */
export function signIn(issuer: string, config: oidc.Configuration, citizen: { personalId: string }, extra: Record<string, string> = {}) {
  return signInFlow(issuer, config, (html) => {
    const id = html.includes('id="login"') ? 'login' : 'consent';
    const fields: Record<string, string> = id === 'login' ? { username: citizen.personalId, password: SANDBOX_PASSWORD } : { decision: 'approve' };
    return { action: formAction(html, id), fields: { _csrf: csrfToken(html), ...fields } };
  }, extra);
}

/** The same flow through oidc-provider alone's own login and consent forms (bench/bare-sign-in-provider.ts). */
function engineSignIn(issuer: string, config: oidc.Configuration, login: string) {
  return signInFlow(issuer, config, (html) => {
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`oidc-provider alone showed no form: ${html.slice(0, 500)}`);
    const fields: Record<string, string> = html.includes('name="prompt" value="login"') ? { prompt: 'login', login, password: 'any' } : { prompt: 'consent' };
    return { action: action.replace(/&amp;/g, '&'), fields };
  });
}

/** Runs `one` again and again, `concurrency` at once, for `seconds`; returns how many finished. */
export async function repeatFor(seconds: number, concurrency: number, one: (slot: number) => Promise<unknown>): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async (_, slot) => {
    while (Date.now() < end) {
      await one(slot);
      done++;
    }
  }));
  return done;
}

/** Milliseconds of CPU oidc-provider alone spends on one complete sign-in flow, at `concurrency` flows at once. */
async function engineSignInCpu(seconds: number, concurrency: number): Promise<number> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const engine = await start(['bench/bare-sign-in-provider.ts', String(port)], servingEnv(), async () => (await fetch(`${issuer}/.well-known/openid-configuration`)).ok);
  try {
    const config = await oidc.discovery(new URL(issuer), BARE_SIGN_IN_CLIENT.client_id, undefined, oidc.ClientSecretBasic(BARE_SIGN_IN_CLIENT.client_secret), { execute: [oidc.allowInsecureRequests] });
    const flow = (slot: number) => engineSignIn(issuer, config, `citizen-${slot}`);
    await repeatFor(Math.min(seconds, 5), concurrency, flow);
    const before = processCpuSeconds(engine.pid!);
    const done = await repeatFor(seconds, concurrency, flow);
    const after = processCpuSeconds(engine.pid!);
    return before === undefined || after === undefined ? NaN : ((after - before) * 1000) / done;
  } finally {
    await stop(engine);
  }
}

/**
 * The provider's CPU from now on, per answer: call the function returned with the number of answers since. Below
 * its maximum rate each answer costs the provider more (fewer answers share each wake-up and each system call,
 * and the caches are cold), which is what item c's half rate runs at (docs/capacity.md, sixth look).
 */
function providerCpu(pid: number): (answers: number) => number {
  const before = processCpuSeconds(pid);
  return (answers) => {
    const after = processCpuSeconds(pid);
    return before === undefined || after === undefined ? NaN : ((after - before) * 1e6) / answers;
  };
}

/** Full (mark-compact) GCs the provider has run so far, by its own /metrics. */
async function fullGcsSoFar(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)/m.exec(text)?.[1] ?? NaN);
}

/**
 * Token refresh, which autocannon cannot drive: refresh tokens rotate on use (sending one twice revokes its grant),
 * so each request needs the token the previous answer carried. `connections` chains at full speed give the maximum;
 * then requests start at half that rate, each on a free chain.
 */
async function refreshLatency(full: string, pid: number, config: oidc.Configuration, citizens: Array<{ personalId: string }>, options: { seconds: number; connections: number }) {
  const basic = `Basic ${Buffer.from(`sandbox:${SANDBOX_SECRET}`).toString('base64')}`;
  const chains: string[] = [];
  for (let i = 0; i < options.connections * 2; i++) {
    chains.push((await signIn(full, config, citizens[i % citizens.length]!, { scope: 'openid profile offline_access', prompt: 'consent' })).refresh_token!);
  }
  const before = await queriesSoFar(full);
  const cpuAtMax = providerCpu(pid);
  const done = await repeatFor(options.seconds, options.connections, async (slot) => {
    chains[slot] = (await refresh(`${full}/token`, basic, chains[slot]!)).next;
  });
  const max = done / options.seconds;
  const cpuUsAtMax = cpuAtMax(done);
  const queries = (await queriesSoFar(full) - before) / done;
  const gcsBefore = await fullGcsSoFar(full);
  const cpuAtHalf = providerCpu(pid);
  // The chains at rest, each with its latest token, carried on by the generator's own process.
  const { answers, ...steady } = await steadyLoad({ kind: 'refresh', rate: max / 2, seconds: HALF_RATE_SECONDS, url: `${full}/token`, authorization: basic, tokens: chains });
  const cpuUsAtHalf = cpuAtHalf(answers);
  const fullGcs = await fullGcsSoFar(full) - gcsBefore;
  return { max, ...steady, queries, fullGcsPer10k: (fullGcs * 10_000) / answers, cpuUsAtMax, cpuUsAtHalf };
}

/** argon2id verifies per second alone, in a process of its own, with `concurrency` verifies in flight, and the CPU each takes. */
async function argon2Rate(seconds: number, concurrency: number): Promise<{ perSecond: number; cpuMsPerVerify: number }> {
  const script = `
    import argon2 from 'argon2';
    import { loadConfig } from './src/config.ts';
    const { argon2: p } = loadConfig({});
    const hash = await argon2.hash('ThuNghiem@2026', { type: argon2.argon2id, memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism });
    const end = Date.now() + ${seconds * 1000};
    const cpu = process.cpuUsage();
    let done = 0;
    await Promise.all(Array.from({ length: ${concurrency} }, async () => { while (Date.now() < end) { await argon2.verify(hash, 'ThuNghiem@2026'); done++; } }));
    const used = process.cpuUsage(cpu);
    console.log(done / ${seconds}, (used.user + used.system) / 1000 / done);`;
  // With the provider's own memory settings, so that both sides hash alike.
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, ...servingEnv() }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  await once(child, 'exit');
  const [perSecond, cpuMsPerVerify] = out.trim().split(' ').map(Number);
  return { perSecond: perSecond!, cpuMsPerVerify: cpuMsPerVerify! };
}

/** Milliseconds of CPU per sign-in by where it was spent, over all rounds. */
function cpuPerSignIn(rounds: CpuShares[], signIns: number) {
  const total = (pick: (c: CpuShares) => number | undefined) => rounds.every((c) => pick(c) !== undefined) ? (rounds.reduce((a, c) => a + pick(c)!, 0) * 1000) / signIns : undefined;
  return { provider: total((c) => c.provider), loadGenerator: total((c) => c.loadGenerator), postgres: total((c) => c.postgres) };
}

export async function throughputBench(options: ThroughputOptions) {
  const fullPort = await freePort();
  const barePort = await freePort();
  const full = `http://127.0.0.1:${fullPort}`;
  const bare = `http://127.0.0.1:${barePort}`;
  const health = (base: string) => async () => (await fetch(`${base}/.well-known/openid-configuration`)).ok;
  // Both run with the memory settings npm start gives the provider (src/runtime-tuning.ts).
  const provider = await start(['src/main.ts'], {
    ...servingEnv(),
    DATABASE_URL: options.databaseUrl, HOST: '127.0.0.1', PORT: String(fullPort), ISSUER: full, NODE_ENV: 'development', LOG_LEVEL: 'info',
    WORKERS: '1', SEED_SANDBOX: 'true', SIGN_IN_RATE_PER_MINUTE: '100000', LOCKOUT_MAX_FAILURES: '100',
  }, health(full));
  const reference = await start(['bench/bare-provider.ts', String(barePort)], servingEnv(), health(bare));
  try {
    await registerService(options.databaseUrl);
    const basic = `Basic ${Buffer.from(`${BARE_CLIENT.client_id}:${BARE_CLIENT.client_secret}`).toString('base64')}`;
    const tokenLoad = (base: string, seconds = options.seconds) => load(`${base}/token`, {
      seconds, connections: options.connections, method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: BENCH_API, scope: 'bench:read' }).toString(),
    });
    // Warm both (JIT, pools, caches) before anything counts.
    await tokenLoad(full);
    await tokenLoad(bare);
    const clientCredentials = { full: [] as number[], bare: [] as number[], fullCpuUs: [] as number[], bareCpuUs: [] as number[] };
    // Beside the rates, each process's CPU per answer: on cores it shares with the load generator, the steadier figure.
    const cpuPerAnswer = async (base: string, pid: number) => {
      const before = processCpuSeconds(pid);
      const { perSecond } = await tokenLoad(base, A_ROUND_SECONDS);
      const after = processCpuSeconds(pid);
      return { perSecond, cpuUs: before === undefined || after === undefined ? NaN : ((after - before) * 1e6) / (perSecond * A_ROUND_SECONDS) };
    };
    // Short rounds in pairs, the order swapped every pair: this machine's speed drifts by a third over minutes
    // (oidc-provider alone, 10 s rounds: 2,787 to 3,728 req/s within one run), and a pair's two rounds share it.
    for (let pair = 0; pair < A_PAIRS; pair++) {
      const order = pair % 2 === 0 ? (['full', 'bare'] as const) : (['bare', 'full'] as const);
      for (const side of order) {
        const { perSecond, cpuUs } = side === 'full' ? await cpuPerAnswer(full, provider.pid!) : await cpuPerAnswer(bare, reference.pid!);
        clientCredentials[side].push(perSecond);
        clientCredentials[side === 'full' ? 'fullCpuUs' : 'bareCpuUs'].push(cpuUs);
      }
    }

    // b. Complete sign-ins by several "browsers" at once, against argon2 alone at the same concurrency.
    const config = await oidc.discovery(new URL(full), 'sandbox', undefined, oidc.ClientSecretBasic(SANDBOX_SECRET), { execute: [oidc.allowInsecureRequests] });
    const citizens = SANDBOX_CITIZENS.filter((c) => !('locked' in c && c.locked));
    for (const citizen of citizens) await signIn(full, config, citizen);
    const signIns = { full: [] as number[], argon2: [] as number[], argon2CpuMs: [] as number[], latencies: [] as number[] };
    const queriesBefore = await queriesSoFar(full);
    const cpu: CpuShares[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const cpuBefore = cpuNow(provider.pid!);
      const done = await repeatFor(options.seconds, options.signInConcurrency, async (slot) => {
        const started = performance.now();
        await signIn(full, config, citizens[slot % citizens.length]!);
        signIns.latencies.push(performance.now() - started);
      });
      signIns.full.push(done / options.seconds);
      cpu.push(cpuSince(cpuBefore, cpuNow(provider.pid!)));
      const argon2 = await argon2Rate(options.seconds, options.signInConcurrency);
      signIns.argon2.push(argon2.perSecond);
      signIns.argon2CpuMs.push(argon2.cpuMsPerVerify);
    }
    const queriesPerSignIn = (await queriesSoFar(full) - queriesBefore) / signIns.latencies.length;
    // What the protocol engine alone spends on the same flow: the part of a sign-in beyond the hash no code of ours adds.
    const engineCpuMs = await engineSignInCpu(options.seconds, options.signInConcurrency);

    // c. Userinfo, token refresh and introspection at half the rate the provider reaches for each.
    const tokens = await signIn(full, config, citizens[0]!);
    const sandboxBasic = `Basic ${Buffer.from(`sandbox:${SANDBOX_SECRET}`).toString('base64')}`;
    const form = { authorization: sandboxBasic, 'content-type': 'application/x-www-form-urlencoded' };
    const calls: Record<string, Call> = {
      userinfo: { url: `${full}/me`, method: 'GET', headers: { authorization: `Bearer ${tokens.access_token}` } },
      introspection: { url: `${full}/token/introspection`, method: 'POST', headers: form, body: new URLSearchParams({ token: tokens.access_token }).toString() },
    };
    // The reference: oidc-provider alone introspecting an opaque token it keeps in memory, at the same rate.
    const bareToken = (await timedCall(`${bare}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })).body;
    const bareIntrospection = { method: 'POST' as const, headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: (JSON.parse(bareToken) as { access_token: string }).access_token }).toString() };
    const engineAlone = (rate: number) => steadyLoad({ kind: 'fixed', rate, seconds: HALF_RATE_SECONDS, call: { url: `${bare}/token/introspection`, ...bareIntrospection } });
    const latency: Record<string, { max: number; p50: number; p99: number; queries: number; fullGcsPer10k: number; cpuUsAtMax: number; cpuUsAtHalf: number; engineAlone: { p50: number; p99: number } }> = {};
    for (const [name, call] of Object.entries(calls)) {
      const before = await queriesSoFar(full);
      const cpuAtMax = providerCpu(provider.pid!);
      const max = await load(call.url, { ...call, seconds: options.seconds, connections: options.connections });
      const cpuUsAtMax = cpuAtMax(max.perSecond * options.seconds);
      const queries = (await queriesSoFar(full) - before) / (max.perSecond * options.seconds);
      // Full GCs while answering at half rate: each stalls the answers around it (test/integration/old-generation).
      const gcsBefore = await fullGcsSoFar(full);
      const cpuAtHalf = providerCpu(provider.pid!);
      const { answers, ...half } = await steadyLoad({ kind: 'fixed', rate: max.perSecond / 2, seconds: HALF_RATE_SECONDS, call });
      const cpuUsAtHalf = cpuAtHalf(answers);
      const fullGcs = await fullGcsSoFar(full) - gcsBefore;
      latency[name] = { max: max.perSecond, ...half, queries, fullGcsPer10k: (fullGcs * 10_000) / answers, cpuUsAtMax, cpuUsAtHalf, engineAlone: await engineAlone(max.perSecond / 2) };
    }
    const refresh = await refreshLatency(full, provider.pid!, config, citizens, { seconds: options.seconds, connections: options.connections });
    latency['refresh'] = { ...refresh, engineAlone: await engineAlone(refresh.max / 2) };
    const sorted = [...signIns.latencies].sort((a, b) => a - b);
    return {
      cores: availableParallelism(),
      clientCredentials: {
        ...clientCredentials,
        roundSeconds: A_ROUND_SECONDS,
        ratio: median(clientCredentials.full.map((rate, i) => rate / clientCredentials.bare[i]!)),
        ratioOfMedians: median(clientCredentials.full) / median(clientCredentials.bare),
        cpuRatio: median(clientCredentials.bareCpuUs.map((us, i) => us / clientCredentials.fullCpuUs[i]!)),
      },
      signIns: { full: signIns.full, argon2: signIns.argon2, ratio: median(signIns.full) / median(signIns.argon2), p50: sorted[Math.floor(sorted.length * 0.5)]!, p99: sorted[Math.floor(sorted.length * 0.99)]!, queries: queriesPerSignIn, cpuMs: cpuPerSignIn(cpu, signIns.latencies.length), argon2CpuMs: median(signIns.argon2CpuMs), engineCpuMs },
      latency,
      halfRateSeconds: HALF_RATE_SECONDS,
      warmUpSeconds: WARM_UP_SECONDS,
    };
  } finally {
    await stop(reference);
    await stop(provider);
  }
}
