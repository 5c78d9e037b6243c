// Two provider instances on one database count one address's sign-in attempts together: a limit cannot be
// doubled by a load balancer that spreads the posts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { SANDBOX_SECRET, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, relyingParty } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';

let testDb: TestDatabase;
let first: RunningProvider;
let second: RunningProvider;

beforeAll(async () => {
  testDb = await createTestDatabase();
  first = await startProvider(testDb, { env: { SIGN_IN_RATE_PER_MINUTE: '3' } });
  second = await startProvider(testDb, { database: first.database, env: { SIGN_IN_RATE_PER_MINUTE: '3', ISSUER: first.url } });
});
afterAll(async () => {
  await second?.close();
  await first?.close();
  await testDb?.drop();
});

it('refuses the fourth sign-in form post on the second instance after three on the first', async () => {
  const rp = await relyingParty(first.url, 'sandbox', SANDBOX_SECRET);
  const agent = new UserAgent();
  const { page } = await agent.follow((await authorizationRequest(rp)).url.href, first.url);
  const path = formAction(page!.html, 'login');
  const post = (instance: RunningProvider, i: number) =>
    agent.request(new URL(path, instance.url).href, { form: { _csrf: csrfToken(page!.html), username: `00109000000${i}`, password: 'guess-guess' } });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await post(first, i)).status);
  statuses.push((await post(second, 3)).status);
  expect(statuses).toEqual([401, 401, 401, 429]);
});

it('refuses the eleventh officer sign-in on the second instance after ten on the first', async () => {
  const attempt = (instance: RunningProvider, i: number) =>
    fetch(`${instance.url}/admin/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `nobody-${i}`, password: 'wrong-wrong' }) });
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await attempt(first, i)).status);
  statuses.push((await attempt(second, 10)).status);
  expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
  expect(statuses[10]).toBe(429);
});
