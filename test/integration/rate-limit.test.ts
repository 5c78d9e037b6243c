// One network address cannot spray sign-in attempts across many ID numbers, nor guess officer passwords.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, relyingParty } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';
import { SANDBOX_SECRET } from '../helpers/provider.ts';

let testDb: TestDatabase;
let provider: RunningProvider;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb, { env: { SIGN_IN_RATE_PER_MINUTE: '3' } });
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

it('answers the sign-in form with a page in Vietnamese once an address has tried too often', async () => {
  const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
  const agent = new UserAgent();
  const { page } = await agent.follow((await authorizationRequest(rp)).url.href, provider.url);
  const action = new URL(formAction(page!.html, 'login'), page!.url).href;
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    // A different number each time: lockout per number alone would never trigger.
    const response = await agent.request(action, { form: { _csrf: csrfToken(page!.html), username: `00109000000${i}`, password: 'guess-guess' } });
    statuses.push(response.status);
    if (response.status === 429) {
      const html = await response.text();
      expect(html).toContain('<html lang="vi">');
      expect(html).toContain('Có quá nhiều yêu cầu từ mạng của bạn');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  }
  expect(statuses).toEqual([401, 401, 401, 429]);
});

it('limits officer sign-in attempts per address', async () => {
  // A different name each time: the per-username lockout (officer-sign-in.test.ts) stays out of the way.
  const attempt = (i: number) =>
    fetch(`${provider.url}/admin/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `canbo${i}`, password: 'wrong-wrong' }) });
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) statuses.push((await attempt(i)).status);
  expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
  expect(statuses[10]).toBe(429);
});
