// The citizen's own page: which services received what and when; revoking one kills its grant and tokens at once.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const binh = SANDBOX_CITIZENS[1]!;

describe('/account', () => {
  it('signs the citizen in when needed and comes back to the page', async () => {
    const agent = new UserAgent();
    const first = await agent.follow(`${suite.provider.url}/account`, suite.provider.url);
    expect(first.page?.html).toContain('id="login"');
    const back = await agent.follow(new URL(formAction(first.page!.html, 'login'), first.page!.url).href, suite.provider.url, {
      form: { _csrf: csrfToken(first.page!.html), username: binh.personalId, password: SANDBOX_PASSWORD },
    });
    expect(back.page?.url).toBe(`${suite.provider.url}/account`);
    expect(back.page?.html).toContain('<html lang="vi">');
    expect(back.page?.html).toContain('Xin chào, Trần Thị Bình');
    expect(back.page?.html).toContain('Chưa có dịch vụ nào nhận thông tin của bạn.');
  });

  it('lists what each service received and when, and revoking one ends its access at once', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile phone offline_access', prompt: 'consent' });
    const tokens = await redeem(suite.rp, request, await signInThroughPages(agent, request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD }));
    const sub = tokens.claims()!.sub;
    await oidc.fetchUserInfo(suite.rp, tokens.access_token, sub);

    // The log holds claim names, never values.
    const rows = await suite.provider.database.db.selectFrom('disclosures').selectAll().where('client_id', '=', 'sandbox').orderBy('id').execute();
    expect(rows.map((r) => r.channel)).toEqual(['id_token', 'userinfo']);
    expect(rows[1]!.claims).toEqual(['birthdate', 'family_name', 'gender', 'given_name', 'middle_name', 'name', 'phone_number', 'phone_number_verified', 'sub']);
    expect(rows[1]!.acr).toBe('urn:vn:eid:loa:1');
    expect(JSON.stringify(rows)).not.toContain(binh.phone);

    const page = await agent.follow(`${suite.provider.url}/account`, suite.provider.url);
    const html = page.page!.html;
    expect(html).toContain('<h3 id="svc-sandbox">Sandbox</h3>');
    expect(html).toMatch(/Đã nhận:<\/strong> [^<]*Họ và tên[^<]*Số điện thoại/);
    expect(html).toContain('Lần gần nhất');

    const revoked = await agent.follow(new URL('/account/services/sandbox/revoke', suite.provider.url).href, suite.provider.url, { form: { _csrf: csrfToken(html) } });
    expect(revoked.page?.html).toContain('Đã thu hồi.');
    // What went to whom and when stays on the page: the service is marked revoked, with nothing left to revoke.
    const after = revoked.page!.html;
    expect(after).not.toContain('Chưa có dịch vụ nào nhận thông tin của bạn.');
    expect(after).toMatch(/<h3 id="svc-sandbox">Sandbox <span class="badge revoked">Đã thu hồi quyền truy cập<\/span><\/h3>/);
    expect(after).toMatch(/Đã nhận:<\/strong> [^<]*Họ và tên[^<]*Số điện thoại/);
    expect(after).toContain('Lần gần nhất');
    expect(after).not.toContain('action="/account/services/sandbox/revoke"');

    await expect(oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    await expect(oidc.refreshTokenGrant(suite.rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The service must ask again.
    const again = await authorizationRequest(suite.rp);
    const step = await agent.follow(again.url.href, suite.provider.url);
    expect(step.page?.html).toContain('id="consent"');
  });

  it('refuses a revocation posted without the page’s CSRF token', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp);
    await redeem(suite.rp, request, await signInThroughPages(agent, request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD }));
    const forged = await agent.request(`${suite.provider.url}/account/services/sandbox/revoke`, { method: 'POST', form: { _csrf: 'forged' } });
    expect(forged.status).toBe(403);
    const page = await agent.follow(`${suite.provider.url}/account`, suite.provider.url);
    expect(page.page?.html).toContain('action="/account/services/sandbox/revoke"');
  });
});

/** Signs in to /account through the real pages; returns the account page. */
async function signInToAccount(agent: UserAgent, personalId = binh.personalId) {
  const first = await agent.follow(`${suite.provider.url}/account`, suite.provider.url);
  const back = await agent.follow(new URL(formAction(first.page!.html, 'login'), first.page!.url).href, suite.provider.url, {
    form: { _csrf: csrfToken(first.page!.html), username: personalId, password: SANDBOX_PASSWORD },
  });
  expect(back.page?.html).toContain('Xin chào');
  return back.page!;
}

describe('signing out from /account', () => {
  it('"Ở lại" keeps the citizen signed in and the page says so; "Đăng xuất" signs out and says that', async () => {
    const agent = new UserAgent();
    const account = await signInToAccount(agent);
    const signOut = /<a href="([^"]+)">Đăng xuất<\/a>/.exec(account.html)![1]!;
    const confirm = (await agent.follow(new URL(signOut, suite.provider.url).href, suite.provider.url)).page!;
    expect(confirm.html).toContain('id="op.logoutForm"');
    const action = new URL(formAction(confirm.html, 'op.logoutForm'), confirm.url).href;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)![1]!;

    // The "Ở lại" button submits the form without logout=yes.
    const stayed = (await agent.follow(action, suite.provider.url, { form: { xsrf } })).page!;
    expect(stayed.html).not.toContain('Bạn đã đăng xuất.');
    expect(stayed.html).toContain('Bạn chưa đăng xuất');
    expect(stayed.html).toContain('<a href="/account">');
    expect((await agent.follow(`${suite.provider.url}/account`, suite.provider.url)).page?.html).toContain('Xin chào, Trần Thị Bình');

    const again = (await agent.follow(new URL(signOut, suite.provider.url).href, suite.provider.url)).page!;
    const done = (await agent.follow(new URL(formAction(again.html, 'op.logoutForm'), again.url).href, suite.provider.url, {
      form: { xsrf: /name="xsrf" value="([^"]+)"/.exec(again.html)![1]!, logout: 'yes' },
    })).page!;
    expect(done.html).toContain('Bạn đã đăng xuất.');
    expect(done.html).not.toContain('Bạn chưa đăng xuất');
    expect((await agent.follow(`${suite.provider.url}/account`, suite.provider.url)).page?.html).toContain('id="login"');
  });
});

describe('a form on /account whose CSRF secret is gone (the browser restarted, the session did not end)', () => {
  it('answers with the Vietnamese error page leading back to /account, never raw JSON', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp);
    await redeem(suite.rp, request, await signInThroughPages(agent, request.url.href, { username: binh.personalId, password: SANDBOX_PASSWORD }));
    const page = (await agent.follow(`${suite.provider.url}/account`, suite.provider.url)).page!;
    // A session cookie: a browser restart drops it, the 24-hour provider session stays.
    agent.cookies.delete('_csrf');
    const response = await agent.request(`${suite.provider.url}/account/services/sandbox/revoke`, { method: 'POST', form: { _csrf: csrfToken(page.html) } });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).not.toContain('Missing csrf secret');
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('Biểu mẫu đã hết hiệu lực. Vui lòng tải lại trang và thử lại.');
    expect(html).toContain('<a href="/account">Thử lại</a>');
    const again = (await agent.follow(`${suite.provider.url}/account`, suite.provider.url)).page!;
    expect(again.html).toContain('action="/account/services/sandbox/revoke"');
    // The device forms too.
    const rename = await agent.request(`${suite.provider.url}/account/devices/00000000-0000-0000-0000-000000000000/rename`, { method: 'POST', form: { _csrf: 'stale', name: 'x' } });
    expect(rename.status).toBe(403);
    expect(await rename.text()).toContain('Biểu mẫu đã hết hiệu lực.');
  });
});

describe('the sign-in page of /account', () => {
  it('offers no "cancel and return to the service" (there is none: it looped back to a fresh sign-in); a service\'s sign-in still does', async () => {
    const agent = new UserAgent();
    const login = (await agent.follow(`${suite.provider.url}/account`, suite.provider.url)).page!;
    expect(login.html).toContain('id="login"');
    expect(login.html).not.toContain('Hủy và quay lại dịch vụ');
    const request = await authorizationRequest(suite.rp);
    const serviceLogin = (await new UserAgent().follow(request.url.href, suite.provider.url)).page!;
    expect(serviceLogin.html).toContain('Hủy và quay lại dịch vụ');
  });

  it('once expired, offers to sign in to /account again', async () => {
    const agent = new UserAgent();
    const login = (await agent.follow(`${suite.provider.url}/account`, suite.provider.url)).page!;
    // The interaction's cookie is gone (it expired): the page cannot know more than its address.
    for (const name of [...agent.cookies.keys()]) if (name.startsWith('_interaction')) agent.cookies.delete(name);
    const expired = (await agent.follow(login.url, suite.provider.url)).page!;
    expect(expired.status).toBe(400);
    expect(expired.html).toContain('Phiên đăng nhập đã hết hạn');
    expect(expired.html).not.toContain('quay lại trang của dịch vụ');
    expect(expired.html).toContain('<a href="/account">Đăng nhập lại vào trang Tài khoản của tôi</a>');
    const again = (await agent.follow(`${suite.provider.url}/account`, suite.provider.url)).page!;
    expect(again.html).toContain('id="login"');

    // A service's expired sign-in still sends the citizen back to the service.
    const other = new UserAgent();
    const serviceLogin = (await other.follow((await authorizationRequest(suite.rp)).url.href, suite.provider.url)).page!;
    for (const name of [...other.cookies.keys()]) if (name.startsWith('_interaction')) other.cookies.delete(name);
    const serviceExpired = (await other.follow(serviceLogin.url, suite.provider.url)).page!;
    expect(serviceExpired.html).toContain('quay lại trang của dịch vụ');
    expect(serviceExpired.html).not.toContain('href="/account"');
  });
});

describe('/account in English', () => {
  it('names the account page in English on its sign-in page', async () => {
    const agent = new UserAgent();
    const login = (await agent.follow(`${suite.provider.url}/account?lang=en`, suite.provider.url)).page!;
    expect(login.html).toContain('<html lang="en">');
    expect(login.html).toContain('Your e-ID account asks you to sign in to continue.');
    expect(login.html).not.toContain('Tài khoản định danh điện tử');
  });
});

describe('changing the password on /account', () => {
  const cuong = SANDBOX_CITIZENS.find((c) => c.givenName === 'Cường')!;
  const NEW_PASSWORD = 'Hoa-Sen-Nở-Muộn-2026';

  it('asks the current password and the new one twice, then ends every session of the account and says so', async () => {
    // Another browser, signed in to a service with a refresh token: whoever knew the old password.
    const other = new UserAgent();
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile offline_access', prompt: 'consent' });
    const tokens = await redeem(suite.rp, request, await signInThroughPages(other, request.url.href, { username: cuong.personalId, password: SANDBOX_PASSWORD }));

    const agent = new UserAgent();
    const account = await signInToAccount(agent, cuong.personalId);
    const link = /<a href="([^"]+)">Đổi mật khẩu<\/a>/.exec(account.html)![1]!;
    let page = (await agent.follow(new URL(link, suite.provider.url).href, suite.provider.url)).page!;
    expect(page.html).toContain('id="password-change"');
    for (const id of ['current_password', 'password', 'password_confirm']) expect(page.html).toContain(`<label for="${id}">`);
    const change = async (fields: Record<string, string>) => {
      page = (await agent.follow(new URL(formAction(page.html, 'password-change'), page.url).href, suite.provider.url, { form: { _csrf: csrfToken(page.html), ...fields } })).page!;
      return page;
    };

    expect((await change({ current_password: 'not-my-password', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD })).status).toBe(401);
    expect(page.html).toContain('Mật khẩu hiện tại không đúng.');
    expect(page.html).toMatch(/id="current_password"[^>]*aria-invalid="true" aria-describedby="password-error"/);
    expect((await change({ current_password: SANDBOX_PASSWORD, password: NEW_PASSWORD, password_confirm: `${NEW_PASSWORD}x` })).status).toBe(400);
    expect(page.html).toContain('Hai mật khẩu bạn nhập không khớp nhau.');
    expect((await change({ current_password: SANDBOX_PASSWORD, password: 'matkhau123', password_confirm: 'matkhau123' })).html).toContain('quá phổ biến');
    expect((await change({ current_password: SANDBOX_PASSWORD, password: SANDBOX_PASSWORD, password_confirm: SANDBOX_PASSWORD })).status).toBe(400);

    const done = await change({ current_password: SANDBOX_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(done.status).toBe(200);
    expect(done.html).toContain('Đã đổi mật khẩu');
    expect(done.html).toContain('mọi phiên đăng nhập bằng tài khoản này đã kết thúc');
    expect(done.html).toContain('<a href="/account">Đăng nhập lại</a>');

    // Every session ended, this browser's and the other's, and the service's tokens with them.
    expect((await agent.follow(`${suite.provider.url}/account`, suite.provider.url)).page?.html).toContain('id="login"');
    expect((await other.follow(`${suite.provider.url}/account`, suite.provider.url)).page?.html).toContain('id="login"');
    await expect(oidc.fetchUserInfo(suite.rp, tokens.access_token, tokens.claims()!.sub)).rejects.toMatchObject({ status: 401 });
    await expect(oidc.refreshTokenGrant(suite.rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    // The old password is dead, the new one signs in.
    const login = (await agent.follow(`${suite.provider.url}/account`, suite.provider.url)).page!;
    const refused = await agent.follow(new URL(formAction(login.html, 'login'), login.url).href, suite.provider.url, { form: { _csrf: csrfToken(login.html), username: cuong.personalId, password: SANDBOX_PASSWORD } });
    expect(refused.page?.status).toBe(401);
    const back = await agent.follow(new URL(formAction(refused.page!.html, 'login'), refused.page!.url).href, suite.provider.url, { form: { _csrf: csrfToken(refused.page!.html), username: cuong.personalId, password: NEW_PASSWORD } });
    expect(back.page?.html).toContain('Xin chào, Lê Hoàng Cường');
  });

  it('refuses a change posted without the page’s CSRF token, on a page', async () => {
    const agent = new UserAgent();
    await signInToAccount(agent);
    const forged = await agent.request(`${suite.provider.url}/account/password`, { method: 'POST', form: { _csrf: 'forged', current_password: SANDBOX_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD } });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('Biểu mẫu đã hết hiệu lực.');
  });
});
