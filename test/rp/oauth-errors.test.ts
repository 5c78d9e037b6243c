// What a relying party sees when it gets something wrong: the exact OAuth error, never a 500.
import * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const citizen = { username: SANDBOX_CITIZENS[0]!.personalId, password: SANDBOX_PASSWORD };

const suite = sandboxProviderForSuite();
afterEach(() => {
  vi.useRealTimers();
});

/** openid-client reports a 401 as its WWW-Authenticate challenge: the OAuth error is in the challenge parameters. */
function challenge(error: unknown) {
  const e = error as { status?: number; cause?: { scheme: string; parameters: Record<string, string> }[] };
  return { status: e.status, ...e.cause?.[0]?.parameters };
}

async function codeFor(params: Record<string, string> = {}) {
  const request = await authorizationRequest(suite.rp, params);
  const callback = await signInThroughPages(new UserAgent(), request.url.href, citizen);
  return { request, callback };
}

describe('token endpoint errors', () => {
  it('rejects a wrong client secret with invalid_client', async () => {
    const { request, callback } = await codeFor();
    const impostor = await relyingParty(suite.provider.url, 'sandbox', 'not-the-secret-at-all');
    const error = await redeem(impostor, request, callback).catch((e: unknown) => e);
    expect(challenge(error)).toMatchObject({ status: 401, error: 'invalid_client', error_description: 'client authentication failed' });
    // The code was not spent by the failed attempt: the real client still redeems it.
    const tokens = await redeem(suite.rp, request, callback);
    expect(tokens.access_token).toBeTruthy();
  });

  it('rejects an unknown client with invalid_client', async () => {
    const { request, callback } = await codeFor();
    const stranger = await relyingParty(suite.provider.url, 'no-such-client', 'whatever-secret');
    const error = await redeem(stranger, request, callback).catch((e: unknown) => e);
    expect(challenge(error)).toMatchObject({ status: 401, error: 'invalid_client', error_description: 'client authentication failed' });
  });

  it('rejects a replayed code with invalid_grant and revokes the tokens the code already produced', async () => {
    const { request, callback } = await codeFor({ scope: 'openid profile offline_access', prompt: 'consent' });
    const tokens = await redeem(suite.rp, request, callback);
    const sub = tokens.claims()!.sub;
    expect(await oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).toHaveProperty('sub', sub);

    const replay = await redeem(suite.rp, request, callback).catch((e: unknown) => e);
    // The description says why, so the developer knows the code was used before (not, say, a PKCE mismatch).
    expect(replay).toMatchObject({ error: 'invalid_grant', error_description: 'grant request is invalid: authorization code already consumed', status: 400 });

    // RFC 6749 §4.1.2: everything issued from the replayed code is revoked.
    await expect(oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    expect((await oidc.tokenIntrospection(suite.rp, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(suite.rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('rejects an expired code with invalid_grant', async () => {
    const { request, callback } = await codeFor();
    // Codes live 60 seconds; move the clock (Date only: sockets and timers keep real time) past that.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 5 * 60_000 });
    const error = await redeem(suite.rp, request, callback).catch((e: unknown) => e);
    expect(error).toMatchObject({ error: 'invalid_grant', status: 400 });
  });

  it('rejects a code redeemed with the wrong PKCE verifier with invalid_grant', async () => {
    const { request, callback } = await codeFor();
    const wrong = { ...request, verifier: oidc.randomPKCECodeVerifier() };
    await expect(redeem(suite.rp, wrong, callback)).rejects.toMatchObject({ error: 'invalid_grant', status: 400 });
  });
});

describe('protocol paths with no route', () => {
  it('answers an unknown method or sub-path as JSON for programs and as a page for browsers, never bare text', async () => {
    for (const [method, path] of [['GET', '/token'], ['GET', '/token/introspection'], ['GET', '/jwks/x'], ['POST', '/me/x']]) {
      const response = await fetch(`${suite.provider.url}${path}`, { method, headers: { accept: 'application/json' } });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ error: 'not_found', error_description: `no route ${method} ${path}` });
    }
    const page = await fetch(`${suite.provider.url}/session/end/nothing-here`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    const html = await page.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('not_found');
  });
});

describe('the provider\'s auto-submitting page', () => {
  it('speaks the citizen\'s language and keeps its one script', async () => {
    const url = `${suite.provider.url}/session/end?client_id=sandbox`;
    const vi = await (await fetch(url, { headers: { accept: 'text/html' } })).text();
    expect(vi).toContain('<html lang="vi">');
    expect(vi).toContain('<title>Đang chuyển tiếp</title>');
    expect(vi).toContain('Trình duyệt của bạn không chạy JavaScript');
    expect(vi).toContain('<button autofocus type="submit">Tiếp tục</button>');
    expect(vi).toContain('document.forms[0].submit()');
    const en = await (await fetch(url, { headers: { accept: 'text/html', cookie: 'lang=en' } })).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('<button autofocus type="submit">Continue</button>');
    expect(en).not.toContain('Submitting Callback');
  });
});

describe('authorization endpoint errors', () => {
  it('refuses an unregistered redirect_uri on a page, without redirecting anywhere', async () => {
    const request = await authorizationRequest(suite.rp, { redirect_uri: 'https://attacker.example/callback' });
    const response = await fetch(request.url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const html = await response.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('Rất tiếc, yêu cầu của bạn không thể thực hiện.');
    expect(html).toContain('invalid_redirect_uri');
    expect(html).toContain("redirect_uri did not match any of the client&#39;s registered redirect_uris");
    // The language switch on the error page shows the same error in English.
    const switchLink = /<a href="([^"]+)" hreflang="en"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const english = await (await fetch(new URL(switchLink, suite.provider.url), { redirect: 'manual' })).text();
    expect(english).toContain('<html lang="en">');
    expect(english).toContain('Sorry, your request could not be completed.');
    expect(english).toContain('invalid_redirect_uri');
  });

  it('sends invalid_request back to the relying party when PKCE is missing', async () => {
    const url = new URL(`${suite.provider.url}/auth`);
    url.search = new URLSearchParams({ client_id: 'sandbox', response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:8080/callback', state: 'xyz' }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('http://localhost:8080/callback');
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(location.searchParams.get('state')).toBe('xyz');
  });

  it('trims scopes beyond its approval for a client registered with scope_policy trim', async () => {
    await suite.provider.addClient({
      client_id: 'portal-trim',
      client_secret: 'portal-trim-secret-0123456789',
      redirect_uris: ['http://localhost:8080/callback'],
      scope: 'openid profile',
      scope_policy: 'trim',
    });
    const portal = await relyingParty(suite.provider.url, 'portal-trim', 'portal-trim-secret-0123456789');
    const request = await authorizationRequest(portal, { scope: 'openid profile personal_id phone' });
    const tokens = await redeem(portal, request, await signInThroughPages(new UserAgent(), request.url.href, citizen));
    expect(tokens.scope?.split(' ').sort()).toEqual(['openid', 'profile']);
    const userinfo = await oidc.fetchUserInfo(portal, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.name).toBeTruthy();
    expect(userinfo).not.toHaveProperty('personal_id');
    expect(userinfo).not.toHaveProperty('phone_number');
  });

  it('refuses a scope the relying party was not registered for', async () => {
    await suite.provider.addClient({
      client_id: 'portal-basic',
      client_secret: 'portal-basic-secret-0123456789',
      redirect_uris: ['http://localhost:8080/callback'],
      scope: 'openid profile',
    });
    const portal = await relyingParty(suite.provider.url, 'portal-basic', 'portal-basic-secret-0123456789');
    const request = await authorizationRequest(portal, { scope: 'openid profile personal_id' });
    const response = await fetch(request.url, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
  });
});
