// An https issuer behind a TLS proxy: requests the proxy marks https work; one that reaches the provider over
// plain http (proxy not sending X-Forwarded-Proto, or not trusted, or a stray direct caller) is answered clearly —
// never a 500 — the log names the setting at most once a minute, and readiness is not taken hostage.
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testClock } from '../helpers/clock.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startForwardingProxy, type ForwardingProxy } from '../helpers/forwarding-proxy.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { REDIRECT_URI } from '../helpers/relying-party.ts';

let testDb: TestDatabase;
let provider: RunningProvider;
let tlsProxy: ForwardingProxy;
let plainProxy: ForwardingProxy;
const clock = testClock();

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb, { env: { ISSUER: 'https://id.example.test', TRUST_PROXY: '1' }, clock: clock.now });
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

it('works through a proxy that says https; plain-http requests are answered 503, never 500, warned of once a minute, and leave /readyz ready', async () => {
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

  // The same provider reached over plain http: a page for people and JSON for programs, the setting named in the log.
  const page = await fetch(plainProxy.url + authPath, { headers: browser, redirect: 'manual' });
  expect(page.status).toBe(503);
  const html = await page.text();
  expect(html).toContain('<html lang="vi">');
  expect(html).toContain('TRUST_PROXY');

  const token = await fetch(`${provider.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  expect(token.status).toBe(503);
  expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.stringContaining('X-Forwarded-Proto') });

  // A stray curl or a caller that skips the proxy does not take the instance out of the load balancer.
  for (let i = 0; i < 3; i += 1) expect((await fetch(`${provider.url}/jwks`)).status).toBe(503);
  const ready = await fetch(`${provider.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready' });
  expect((await fetch(`${provider.url}/healthz`)).status).toBe(200);
  expect((await fetch(tlsProxy.url + authPath, { headers: browser, redirect: 'manual' })).status).toBe(303);

  // Five refusals, one warning; a minute later the next refusal is warned of again, with the count since.
  const named = () => provider.logs.filter((line) => line.includes('TRUST_PROXY')).map((line) => JSON.parse(line));
  expect(named()).toHaveLength(1);
  expect(named()[0]).toMatchObject({ level: 40, setting: 'TRUST_PROXY', refused: 1 });
  clock.advance(61);
  expect((await fetch(`${provider.url}/jwks`)).status).toBe(503);
  expect(named()).toHaveLength(2);
  expect(named()[1]).toMatchObject({ level: 40, setting: 'TRUST_PROXY', refused: 5 });
  expect(provider.logs.join('\n')).not.toContain('Cannot send secure cookie');
});

/** GET with the Host and other headers a client chooses (fetch will not send a Host of its own). */
function getWithHost(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (answer) => {
      let body = '';
      answer.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: answer.statusCode ?? 0, body }));
    }).on('error', reject).end();
  });
}

it("lists the issuer's endpoints in discovery whatever Host and X-Forwarded-Host the caller sends through the trusted proxy", async () => {
  const forged = await getWithHost(`${tlsProxy.url}/.well-known/openid-configuration`, { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' });
  expect(forged.status).toBe(200);
  const discovery = JSON.parse(forged.body) as Record<string, unknown>;
  expect(forged.body).not.toContain('evil.example');
  expect(discovery).toMatchObject({
    issuer: 'https://id.example.test',
    authorization_endpoint: 'https://id.example.test/auth',
    token_endpoint: 'https://id.example.test/token',
    jwks_uri: 'https://id.example.test/jwks',
  });
});
