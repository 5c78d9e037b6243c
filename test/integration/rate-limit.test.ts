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

it('limits the e-ID app\'s enrolment per address with a 429 its published schema allows', async () => {
  const attempt = (i: number) =>
    fetch(`${provider.url}/app/enrolments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ personal_id: `00109009999${i}`, password: 'Wrong@1234' }) });
  const answers: { status: number; body: { error?: string } }[] = [];
  for (let i = 0; i < 5; i++) {
    const response = await attempt(i);
    answers.push({ status: response.status, body: (await response.json()) as { error?: string } });
  }
  expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 429, 429]);
  expect(answers[3]!.body.error).toBe('invalid_request');
});
