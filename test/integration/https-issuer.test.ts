// An https issuer behind a TLS proxy: requests the proxy marks https work; one that reaches the provider over
// plain http (proxy not sending X-Forwarded-Proto, or not trusted) is answered clearly — never a 500 — and the
// instance reports itself not ready, naming the setting.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startForwardingProxy, type ForwardingProxy } from '../helpers/forwarding-proxy.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { REDIRECT_URI } from '../helpers/relying-party.ts';

let testDb: TestDatabase;
let provider: RunningProvider;
let tlsProxy: ForwardingProxy;
let plainProxy: ForwardingProxy;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb, { env: { ISSUER: 'https://id.example.test', TRUST_PROXY: '1' } });
  tlsProxy = await startForwardingProxy(provider.url, { proto: 'https' });
  plainProxy = await startForwardingProxy(provider.url);
});
afterAll(async () => {
  await tlsProxy?.close();
  await plainProxy?.close();
  await provider?.close();
  await testDb?.drop();
});

const authPath = `/auth?${new URLSearchParams({
  client_id: 'sandbox',
  response_type: 'code',
  scope: 'openid',
  redirect_uri: REDIRECT_URI,
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
})}`;
const browser = { accept: 'text/html' };

it('works through a proxy that says https; a plain-http request is answered 503, never 500, and makes /readyz not ready', async () => {
  const response = await fetch(tlsProxy.url + authPath, { headers: browser, redirect: 'manual' });
  expect(response.status).toBe(303);
  // Browsers keep to https for a year, on pages and API answers alike.
  const jwks = await fetch(`${tlsProxy.url}/jwks`);
  for (const answer of [response, jwks]) expect(answer.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  const cookies = response.headers.getSetCookie();
  expect(cookies.join('\n')).toMatch(/; secure/i);
  const form = await fetch(new URL(response.headers.get('location')!, tlsProxy.url), {
    headers: { ...browser, cookie: cookies.map((c) => c.split(';')[0]).join('; ') },
  });
  expect(form.status).toBe(200);
  expect(await form.text()).toContain('id="login"');
  expect((await fetch(`${provider.url}/readyz`)).status).toBe(200);

  // The same provider reached over plain http: a page for people and JSON for programs, the setting logged once,
  // and no longer ready.
  const page = await fetch(plainProxy.url + authPath, { headers: browser, redirect: 'manual' });
  expect(page.status).toBe(503);
  const html = await page.text();
  expect(html).toContain('<html lang="vi">');
  expect(html).toContain('TRUST_PROXY');

  const token = await fetch(`${provider.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  expect(token.status).toBe(503);
  expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.stringContaining('X-Forwarded-Proto') });

  const ready = await fetch(`${provider.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('TRUST_PROXY') });
  expect((await fetch(`${provider.url}/healthz`)).status).toBe(200);

  const named = provider.logs.filter((line) => line.includes('TRUST_PROXY'));
  expect(named).toHaveLength(1);
  expect(JSON.parse(named[0]!)).toMatchObject({ level: 50, setting: 'TRUST_PROXY' });
  expect(provider.logs.join('\n')).not.toContain('Cannot send secure cookie');
});
