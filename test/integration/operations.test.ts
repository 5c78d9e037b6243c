// What an operator relies on: health and readiness, redacted logs, friendly pages for bad input, no 500s.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { SANDBOX_SECRET, startProvider } from '../helpers/provider.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const an = SANDBOX_CITIZENS[0]!;

const suite = sandboxProviderForSuite();

/** Opens the sign-in page for a fresh authorization request; returns the agent on it. */
async function loginPage() {
  const agent = new UserAgent();
  const request = await authorizationRequest(suite.rp);
  const step = await agent.follow(request.url.href, suite.provider.url);
  const page = step.page!;
  return { agent, request, page, action: new URL(formAction(page.html, 'login'), page.url).toString() };
}

describe('sign-in page', () => {
  it('answers a wrong password and an unknown ID number with the same status and message', async () => {
    const wrong = await loginPage();
    const wrongPassword = await wrong.agent.request(wrong.action, { form: { _csrf: csrfToken(wrong.page.html), username: an.personalId, password: 'not-the-password' } });
    const unknown = await loginPage();
    const unknownId = await unknown.agent.request(unknown.action, { form: { _csrf: csrfToken(unknown.page.html), username: '001090999999', password: 'not-the-password' } });
    expect(wrongPassword.status).toBe(401);
    expect(unknownId.status).toBe(401);
    const message = (html: string) => /role="alert"[^>]*>([^<]*)</.exec(html)?.[1];
    const [a, b] = [message(await wrongPassword.text()), message(await unknownId.text())];
    expect(a).toBe('Số định danh cá nhân hoặc mật khẩu không đúng.');
    expect(b).toBe(a);
  });

  it('cannot be framed by another site and loads nothing from elsewhere', async () => {
    const { agent, page } = await loginPage();
    const response = await agent.request(page.url);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('gives API answers the headers an API needs, and a browser shown a page there the pages\' set', async () => {
    const basic = `Basic ${Buffer.from(`sandbox:${SANDBOX_SECRET}`).toString('base64')}`;
    const token = await fetch(`${suite.provider.url}/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(token.status).toBe(200);
    expect(token.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(token.headers.get('x-content-type-options')).toBe('nosniff');
    expect(token.headers.get('x-frame-options')).toBe('DENY');
    expect(token.headers.get('referrer-policy')).toBe('no-referrer');
    expect(token.headers.get('cache-control')).toBe('no-store');
    expect(token.headers.get('cross-origin-opener-policy')).toBeNull();
    // The provider answers a browser at its userinfo endpoint with its error page, which needs the pages' styles.
    const page = await fetch(`${suite.provider.url}/me`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("style-src 'unsafe-inline'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('says a malformed ID number has 12 digits, and accepts one typed with spaces', async () => {
    const { agent, page, action, request } = await loginPage();
    const bad = await agent.request(action, { form: { _csrf: csrfToken(page.html), username: '12345', password: 'x' } });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('Số định danh cá nhân gồm đúng 12 chữ số.');
    // The same interaction still works with the number typed in groups.
    const spaced = an.personalId.replace(/(\d{3})(\d{3})(\d{6})/, '$1 $2 $3');
    const callback = await signInThroughPages(agent, request.url.href, { username: spaced, password: SANDBOX_PASSWORD });
    expect((await redeem(suite.rp, request, callback)).claims()?.sub).toBeTruthy();
  });

  it('refuses a form posted without its CSRF token, on a page in Vietnamese, and signs nobody in', async () => {
    const { agent, action } = await loginPage();
    const response = await agent.request(action, { form: { username: an.personalId, password: SANDBOX_PASSWORD } });
    expect(response.status).toBe(403);
    const html = await response.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('Biểu mẫu đã hết hiệu lực');
    expect(response.headers.get('location')).toBeNull();
  });

  it('refuses a CSRF token from another browser', async () => {
    const mine = await loginPage();
    const theirs = await loginPage();
    const response = await mine.agent.request(mine.action, { form: { _csrf: csrfToken(theirs.page.html), username: an.personalId, password: SANDBOX_PASSWORD } });
    expect(response.status).toBe(403);
  });

  it('shows an expired page for an interaction that does not exist', async () => {
    const response = await fetch(`${suite.provider.url}/interaction/no-such-interaction`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('Phiên đăng nhập đã hết hạn');
    expect((await fetch(`${suite.provider.url}/interaction/no-such-interaction?lang=en`)).status).toBe(400);
  });

  it('survives hostile input without a 500', async () => {
    const { agent, page, action } = await loginPage();
    const csrf = csrfToken(page.html);
    for (const form of [
      { _csrf: csrf, username: 'x'.repeat(10_000), password: 'y'.repeat(10_000) },
      { _csrf: csrf, username: "' OR 1=1 --", password: '\u0000' },
      { _csrf: csrf, username: '', password: '' },
    ]) {
      const response = await agent.request(action, { form });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    const json = await agent.request(action, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBeLessThan(500);
  });
});

describe('sign-out', () => {
  it('asks on a page in Vietnamese, ends the session, and returns to the relying party', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp);
    const tokens = await redeem(suite.rp, request, await signInThroughPages(agent, request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD }));
    const endSession = oidc.buildEndSessionUrl(suite.rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://localhost:8080/' });
    const confirm = await agent.request(endSession.href);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('Bạn có muốn đăng xuất khỏi tài khoản định danh điện tử?');
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    const done = await agent.follow(new URL(action, suite.provider.url).href, suite.provider.url, { form: { xsrf, logout: 'yes' } });
    expect(done.redirect).toBe('http://localhost:8080/');
    // The session is gone: the next sign-in asks for the password again.
    const again = await agent.follow((await authorizationRequest(suite.rp)).url.href, suite.provider.url);
    expect(again.page?.html).toContain('id="login"');
  });
});

describe('operations', () => {
  it('reports liveness and readiness', async () => {
    expect(await (await fetch(`${suite.provider.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${suite.provider.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('answers unknown paths with 404: JSON for programs, a page for people', async () => {
    const api = await fetch(`${suite.provider.url}/no/such/path`, { method: 'POST' });
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: 'not_found' });
    const page = await fetch(`${suite.provider.url}/no/such/path`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('Không tìm thấy trang bạn yêu cầu.');
  });

  it('keeps passwords, ID numbers, phone numbers, tokens, cookies and Authorization headers out of the logs', async () => {
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile personal_id phone offline_access', prompt: 'consent', login_hint: an.personalId });
    const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: an.personalId, password: SANDBOX_PASSWORD });
    const tokens = await redeem(suite.rp, request, callback);
    await oidc.fetchUserInfo(suite.rp, tokens.access_token, tokens.claims()!.sub);
    await oidc.refreshTokenGrant(suite.rp, tokens.refresh_token!);
    const code = new URL(callback).searchParams.get('code')!;

    const logs = suite.provider.logs.join('');
    expect(logs).toContain('citizen signed in');
    for (const secret of [SANDBOX_PASSWORD, an.personalId, an.phone, an.phone.slice(3), tokens.access_token, tokens.refresh_token!, tokens.id_token!, code, SANDBOX_SECRET, Buffer.from(`sandbox:${SANDBOX_SECRET}`).toString('base64')]) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toMatch(/_session=|_interaction=|_csrf=/);
  });

  it('reports not ready, without crashing, when the database is gone', async () => {
    const other = await createTestDatabase();
    const doomed = await startProvider(other);
    try {
      const doomedRp = await relyingParty(doomed.url, 'sandbox', SANDBOX_SECRET);
      const agent = new UserAgent();
      const step = await agent.follow((await authorizationRequest(doomedRp)).url.href, doomed.url);
      await doomed.database.close();

      // A citizen in the middle of signing in gets a page in their language, not a stack trace.
      const broken = await agent.request(step.page!.url);
      expect(broken.status).toBe(500);
      const html = await broken.text();
      expect(html).toContain('<html lang="vi">');
      expect(html).toContain('Đã xảy ra lỗi');
      expect(html).not.toMatch(/ at .*\.ts:\d+|Error:/);

      const ready = await fetch(`${doomed.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'database not reachable' });
      expect((await fetch(`${doomed.url}/healthz`)).status).toBe(200);
    } finally {
      await doomed.app.close();
      await other.drop();
    }
  });
});
