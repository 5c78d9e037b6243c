// With REDIS_URL, sign-in limits are counted in Redis and shared by every instance using it; with Redis away,
// sign-in keeps working (no 500), each instance counts on its own, and the log says so.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { freePort, SANDBOX_SECRET, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, relyingParty } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
// A prefix of this run's own, so parallel runs never share counts; its keys are deleted afterwards.
const PREFIX = `dinhdanh-test:${randomUUID()}:`;

let testDb: TestDatabase;
let first: RunningProvider;
let second: RunningProvider;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  testDb = await createTestDatabase();
  const env = { SIGN_IN_RATE_PER_MINUTE: '3', REDIS_URL, REDIS_KEY_PREFIX: PREFIX };
  first = await startProvider(testDb, { env });
  second = await startProvider(testDb, { database: first.database, env: { ...env, ISSUER: first.url } });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
  await testDb?.drop();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function loginForm(provider: RunningProvider) {
  const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
  const agent = new UserAgent();
  const { page } = await agent.follow((await authorizationRequest(rp)).url.href, provider.url);
  const path = formAction(page!.html, 'login');
  return (instance: RunningProvider, i: number) =>
    agent.request(new URL(path, instance.url).href, { form: { _csrf: csrfToken(page!.html), username: `00109000000${i}`, password: 'guess-guess' } });
}

it('counts in Redis, shared by two instances: the fourth post, on the second instance, is refused', async () => {
  const post = await loginForm(first);
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await post(first, i)).status);
  statuses.push((await post(second, 3)).status);
  expect(statuses).toEqual([401, 401, 401, 429]);
  // The count lives in Redis under this run's prefix, not in the database.
  expect(await redis.keys(`${PREFIX}*`)).toHaveLength(1);
  expect(await first.database.db.selectFrom('rate_limit_counters').selectAll().execute()).toEqual([]);
});

it('keeps sign-in working while Redis cannot be reached, limiting per instance and logging a warning', async () => {
  const unreachable = `redis://127.0.0.1:${await freePort()}`;
  const alone = await startProvider(testDb, { database: first.database, env: { SIGN_IN_RATE_PER_MINUTE: '3', REDIS_URL: unreachable, ISSUER: first.url } });
  try {
    const post = await loginForm(first);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(alone, i)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const warnings = alone.logs.filter((line) => line.includes('rate limits cannot be counted in the shared store'));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, backend: 'redis' });
  } finally {
    await alone.close();
  }
});
