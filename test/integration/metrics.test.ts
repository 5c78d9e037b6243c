// /metrics as an operator's Prometheus sees it: counters move with a real sign-in and a client_credentials token,
// labels are route patterns and closed sets (never an ID number, a token or a raw path), each app has its own
// registry, and in production the endpoint wants METRICS_TOKEN.
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { createLogger } from '../../src/logger.ts';
import { queueSms } from '../../src/notify/sms.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../helpers/database.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const an = SANDBOX_CITIZENS.find((c) => c.level === 2)!;
const binh = SANDBOX_CITIZENS.find((c) => c.level === 1)!;
const SERVICE = { client_id: 'metrics-service', client_secret: 'metrics-service-secret-0123456789' };
const LOA2 = 'urn:vn:eid:loa:2';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition format, enough of it for these checks: one sample per line, comments skipped. */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The one sample of `name` whose labels include these; undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

const series = (samples: Sample[], name: string) => samples.filter((s) => s.name === name).length;

const suite = sandboxProviderForSuite();

async function scrape(): Promise<string> {
  const response = await fetch(`${suite.provider.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

async function submit(agent: UserAgent, page: FormPage, formId: string, fields: Record<string, string>) {
  return agent.follow(new URL(formAction(page.html, formId), page.url).href, suite.provider.url, { form: { _csrf: csrfToken(page.html), ...fields } });
}

describe('metrics after real traffic', () => {
  it('count sign-ins by outcome and level, tokens by grant type and requests by route, and show no ID number or token', async () => {
    const secrets: string[] = [an.personalId, binh.personalId, SANDBOX_PASSWORD, SERVICE.client_secret];

    // A wrong password once, then a level-1 sign-in through the pages and the code redeemed.
    const agent = new UserAgent();
    const first = await authorizationRequest(suite.rp);
    const start = await agent.follow(first.url.href, suite.provider.url);
    const refused = await submit(agent, start.page!, 'login', { username: binh.personalId, password: 'not-the-password' });
    expect(refused.page?.status).toBe(401);
    secrets.push(new URL(refused.page!.url).pathname.split('/')[2]!); // the interaction's uid
    const callback = await signInThroughPages(new UserAgent(), first.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD });
    secrets.push(new URL(callback).searchParams.get('code')!);
    const tokens = await redeem(suite.rp, first, callback);
    secrets.push(tokens.access_token, tokens.id_token!);

    // Level 2: the password, a wrong SMS code, the right one.
    const second = await authorizationRequest(suite.rp, { acr_values: LOA2 });
    const agent2 = new UserAgent();
    const login2 = await agent2.follow(second.url.href, suite.provider.url);
    const otp = await submit(agent2, login2.page!, 'login', { username: an.personalId, password: SANDBOX_PASSWORD });
    const code = /là (\d{6}),/.exec((await suite.provider.lastSms(an.phone)) ?? '')?.[1];
    expect(code).toMatch(/^\d{6}$/);
    const wrong = await submit(agent2, otp.page!, 'otp', { otp: code === '000000' ? '111111' : '000000' });
    expect(wrong.page?.status).toBe(400);
    let step = await submit(agent2, wrong.page!, 'otp', { otp: code! });
    if (step.page?.html.includes('id="consent"')) step = await submit(agent2, step.page, 'consent', { decision: 'approve' });
    const tokens2 = await redeem(suite.rp, second, step.redirect!);
    secrets.push(tokens2.access_token, tokens2.id_token!);

    // A service's own token.
    await suite.provider.addClient({ ...SERVICE, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' });
    const service = await oidc.clientCredentialsGrant(await relyingParty(suite.provider.url, SERVICE.client_id, SERVICE.client_secret));
    secrets.push(service.access_token);

    const text = await scrape();
    const samples = parse(text);
    const signIns = (outcome: string, level: string) => value(samples, 'dinhdanh_sign_ins_total', { outcome, level });
    expect(signIns('invalid_credentials', '1')).toBe(1);
    expect(signIns('success', '1')).toBe(1);
    expect(signIns('code_wrong', '2')).toBe(1);
    expect(signIns('success', '2')).toBe(1);
    expect(signIns('locked', '1')).toBe(0); // every outcome is there from the start

    const issued = (grantType: string, token: string) => value(samples, 'dinhdanh_tokens_issued_total', { grant_type: grantType, token });
    expect(issued('authorization_code', 'access_token')).toBe(2);
    expect(issued('authorization_code', 'id_token')).toBe(2);
    expect(issued('client_credentials', 'access_token')).toBe(1);
    expect(issued('client_credentials', 'id_token')).toBeUndefined();

    // Routes by pattern: ours, and the provider's own (mounted in src/oidc/mount.ts).
    const requests = (method: string, route: string, status: string) => value(samples, 'dinhdanh_http_requests_total', { method, route, status_code: status });
    expect(requests('POST', '/interaction/:uid/login', '401')).toBe(1);
    expect(requests('POST', '/interaction/:uid/otp', '400')).toBe(1);
    expect(requests('POST', '/token', '200')).toBe(3);
    const authorizations = samples.filter((s) => s.name === 'dinhdanh_http_requests_total' && s.labels.method === 'GET' && s.labels.route === '/auth');
    expect(authorizations.reduce((sum, s) => sum + s.value, 0)).toBe(3);
    expect(value(samples, 'dinhdanh_http_request_duration_seconds_count', { method: 'POST', route: '/token' })).toBe(3);

    // argon2: verifications done (the wrong password's too) and none left in flight.
    expect(value(samples, 'dinhdanh_argon2_duration_seconds_count', { operation: 'verify' })).toBeGreaterThanOrEqual(3);
    expect(value(samples, 'dinhdanh_argon2_operations_in_flight')).toBe(0);
    expect(value(samples, 'dinhdanh_argon2_threads')).toBeGreaterThanOrEqual(1);

    // The database: queries by kind, the pool, the SMS queue (the sign-in code is still in the outbox: no gateway).
    expect(value(samples, 'dinhdanh_db_query_duration_seconds_count', { operation: 'select' })).toBeGreaterThan(0);
    expect(value(samples, 'dinhdanh_db_query_duration_seconds_count', { operation: 'insert' })).toBeGreaterThan(0);
    expect(value(samples, 'dinhdanh_db_info', { engine: ENGINE })).toBe(1);
    expect(value(samples, 'dinhdanh_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(value(samples, 'dinhdanh_db_pool_max_connections')).toBeGreaterThanOrEqual(1);
    if (ENGINE === 'postgres') expect(value(samples, 'dinhdanh_db_pool_waiting_queries')).toBeGreaterThanOrEqual(0);
    expect(value(samples, 'dinhdanh_sms_queue_pending')).toBeGreaterThanOrEqual(1);

    // The process.
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(series(samples, 'nodejs_eventloop_lag_seconds')).toBe(1);

    // The Grafana dashboard in the repository asks only for metrics this output has (PGlite has no idle or waiting).
    const dashboard = readFileSync(new URL('../../docs/grafana/dinhdanh.json', import.meta.url), 'utf8');
    const names = new Set(samples.map((s) => s.name));
    const pgliteLacks = ['dinhdanh_db_pool_idle_connections', 'dinhdanh_db_pool_waiting_queries'];
    for (const name of new Set(dashboard.match(/\b(?:dinhdanh|process|nodejs)_\w+/g))) {
      if (ENGINE === 'pglite' && pgliteLacks.includes(name)) continue;
      expect(names, name).toContain(name);
    }

    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain(an.phone.slice(1));
    // No label carries anything shaped like an ID number, a phone number or a token.
    for (const sample of samples) {
      for (const label of Object.values(sample.labels)) expect(label).not.toMatch(/\d{9,}|[\w-]{32,}/);
    }
  });

  it('keep one series for all paths no route matches, and route patterns for paths with random parts', async () => {
    const before = parse(await scrape());
    const probes: string[] = [];
    for (let i = 0; i < 200; i++) {
      const id = String(randomInt(100_000_000_000, 999_999_999_999));
      const path = i % 2 === 0 ? `/${randomBytes(8).toString('hex')}/${id}` : `/interaction/${randomBytes(12).toString('base64url')}${id}`;
      probes.push(id);
      const response = await fetch(`${suite.provider.url}${path}`, { headers: { accept: 'application/json' } });
      expect([400, 404]).toContain(response.status);
      await response.arrayBuffer();
    }
    const text = await scrape();
    const after = parse(text);
    const unmatched = (samples: Sample[]) => value(samples, 'dinhdanh_http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' }) ?? 0;
    expect(unmatched(after) - unmatched(before)).toBe(100);
    // At most the two new series (unmatched 404, /interaction/:uid 400) and the scrape's own /metrics 200.
    expect(series(after, 'dinhdanh_http_requests_total') - series(before, 'dinhdanh_http_requests_total')).toBeLessThanOrEqual(3);
    expect(after.filter((s) => s.name === 'dinhdanh_http_requests_total' && s.labels.route!.startsWith('/interaction/:uid')).every((s) => !/\d{12}/.test(s.labels.route!))).toBe(true);
    for (const id of probes) expect(text).not.toContain(id);
  });
});

describe('metrics in production', () => {
  const TOKEN = 'metrics-token-for-tests-0123456789';
  let testDb: TestDatabase;
  let database: Database;
  const apps: App[] = [];

  async function productionApp(env: Record<string, string> = {}) {
    const config = loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example.vn', TRUST_PROXY: '1', SMS_GATEWAY_URL: 'https://sms.example.vn/send', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
    const built = await buildApp({ config, database, logger: createLogger('silent') });
    apps.push(built);
    return built.app;
  }

  beforeAll(async () => {
    testDb = await createTestDatabase();
    database = await openDatabase(testDb.location);
    await migrate(database);
  });
  afterAll(async () => {
    for (const built of apps) await built.app.close();
    await database?.close();
    await testDb?.drop();
  });

  it('want METRICS_TOKEN as a bearer token, answered over plain http to the scraper inside the network', async () => {
    const app = await productionApp({ METRICS_TOKEN: TOKEN });
    await queueSms(database.db, { to: '+84912345678', purpose: 'sign_in_code', text: 'code 123456' });

    const without = await app.inject({ method: 'GET', url: '/metrics' });
    expect(without.statusCode).toBe(401);
    expect(without.headers['www-authenticate']).toContain('Bearer');
    expect(without.json()).toMatchObject({ error: 'invalid_token', error_description: expect.stringContaining('METRICS_TOKEN') });
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Basic ${TOKEN}` } })).statusCode).toBe(401);

    const scraped = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scraped.statusCode).toBe(200);
    const samples = parse(scraped.body);
    expect(value(samples, 'dinhdanh_sms_queue_pending')).toBe(1);
    expect(scraped.body).not.toContain('84912345678');
    // Its own registry: the sign-ins of the other app in this process are not here, nor in prom-client's global one.
    expect(value(samples, 'dinhdanh_sign_ins_total', { outcome: 'success', level: '1' })).toBe(0);
    expect(globalRegistry.getMetricsAsArray()).toEqual([]);
    // A scrape over plain http is not taken for a misconfigured TLS proxy.
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('is not served at all without METRICS_TOKEN', async () => {
    const app = await productionApp();
    const response = await app.inject({ method: 'GET', url: '/metrics', headers: { accept: 'application/json' } });
    expect(response.statusCode).toBe(404);
  });
});
