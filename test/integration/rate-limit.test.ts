// One network address cannot spray sign-in attempts across many ID numbers, nor guess officer passwords, and
// cannot escape its limit by forging X-Forwarded-For: behind one trusted proxy, the proxy's entry is believed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startForwardingProxy, type ForwardingProxy } from '../helpers/forwarding-proxy.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, relyingParty } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';
import { SANDBOX_SECRET } from '../helpers/provider.ts';

let testDb: TestDatabase;
let provider: RunningProvider;
let proxy: ForwardingProxy;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb, { env: { SIGN_IN_RATE_PER_MINUTE: '3', TRUST_PROXY: '1' } });
  proxy = await startForwardingProxy(provider.url);
});
afterAll(async () => {
  await proxy?.close();
  await provider?.close();
  await testDb?.drop();
});

it('keeps counting one address that forges a new X-Forwarded-For on every sign-in form post, and answers in Vietnamese', async () => {
  const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
  const agent = new UserAgent();
  const { page } = await agent.follow((await authorizationRequest(rp)).url.href, provider.url);
  // The form is posted through the proxy, which appends the real address after whatever the client claims.
  const action = new URL(formAction(page!.html, 'login'), proxy.url).href;
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    // A different number each time: lockout per number alone would never trigger.
    const response = await agent.request(action, {
      form: { _csrf: csrfToken(page!.html), username: `00109000000${i}`, password: 'guess-guess' },
      headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
    });
    statuses.push(response.status);
    if (response.status === 429) {
      const html = await response.text();
      expect(html).toContain('<html lang="vi">');
      expect(html).toContain('Có quá nhiều yêu cầu từ mạng của bạn');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  }
  expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
});

it('limits officer sign-in attempts per address, whatever the usernames', async () => {
  const attempt = (i: number) =>
    fetch(`${provider.url}/admin/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `nobody-${i}`, password: 'wrong-wrong' }) });
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) statuses.push((await attempt(i)).status);
  expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
  expect(statuses[10]).toBe(429);
});

it('counts one budget per address over the sign-in forms and the app\'s enrolment, answered as each one\'s callers expect', async () => {
  // Straight to the provider (TRUST_PROXY=1 believes the last X-Forwarded-For entry): an address of its own.
  const from = { 'x-forwarded-for': '198.51.100.7' };
  const enrol = async (i: number) => {
    const response = await fetch(`${provider.url}/app/enrolments`, {
      method: 'POST',
      headers: { ...from, 'content-type': 'application/json' },
      body: JSON.stringify({ personal_id: `00109009999${i}`, password: 'Wrong@1234' }),
    });
    return { status: response.status, body: (await response.json()) as { error?: string } };
  };
  const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
  const agent = new UserAgent();
  const { page } = await agent.follow((await authorizationRequest(rp)).url.href, provider.url);
  const login = () => agent.request(new URL(formAction(page!.html, 'login'), provider.url).href, {
    form: { _csrf: csrfToken(page!.html), username: '001090000009', password: 'guess-guess' },
    headers: from,
  });
  const statuses = [(await enrol(1)).status, (await enrol(2)).status, (await login()).status];
  const over = await enrol(3);
  expect([...statuses, over.status]).toEqual([401, 401, 401, 429]);
  // The app's API publishes this refusal in its schema.
  expect(over.body.error).toBe('invalid_request');
  expect((await login()).status).toBe(429);
});
