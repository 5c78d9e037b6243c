// Consent: each claim named, level-2 data marked, a later request asks only for the difference, and a
// public service registered for notice informs instead of asking.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { authorizationRequest, redeem, relyingParty, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent, type FormPage } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const an = SANDBOX_CITIZENS[0]!;
const dung = SANDBOX_CITIZENS.find((c) => c.givenName === 'Dung')!;
const LOA2 = 'urn:vn:eid:loa:2';

const listed = (html: string) => [...html.matchAll(/<li>([^<]+?)\s*(?:<span|<\/li>)/g)].map((m) => m[1]!.trim());

async function submit(agent: UserAgent, page: FormPage, form: string, fields: Record<string, string>) {
  return agent.follow(new URL(formAction(page.html, form), page.url).href, suite.provider.url, { form: { _csrf: csrfToken(page.html), ...fields } });
}

/** An signs in with the password and the SMS code: the consent page of a level-2 sign-in. */
async function level2Consent(agent: UserAgent, request: Awaited<ReturnType<typeof authorizationRequest>>) {
  const login = await agent.follow(request.url.href, suite.provider.url);
  const otp = await submit(agent, login.page!, 'login', { username: an.personalId, password: SANDBOX_PASSWORD });
  const code = /là (\d{6}),/.exec((await suite.provider.lastSms(an.phone)) ?? '')![1]!;
  const consent = await submit(agent, otp.page!, 'otp', { otp: code });
  expect(consent.page?.html).toContain('id="consent"');
  return consent;
}

describe('consent', () => {
  it('asks a second time only for what the service did not have, and not at all a third time', async () => {
    const agent = new UserAgent();
    const first = await authorizationRequest(suite.rp, { scope: 'openid profile' });
    const login = await agent.follow(first.url.href, suite.provider.url);
    const consent = await submit(agent, login.page!, 'login', { username: an.personalId, password: SANDBOX_PASSWORD });
    expect(listed(consent.page!.html)).toEqual(['Mã nhận diện tài khoản của bạn dành riêng cho dịch vụ này', 'Họ và tên', 'Ngày sinh', 'Giới tính']);
    const firstTokens = await redeem(suite.rp, first, (await submit(agent, consent.page!, 'consent', { decision: 'approve' })).redirect!);
    // The grant covers exactly what was approved.
    expect(await oidc.fetchUserInfo(suite.rp, firstTokens.access_token, firstTokens.claims()!.sub)).not.toHaveProperty('phone_number');

    const second = await authorizationRequest(suite.rp, { scope: 'openid profile phone' });
    const difference = await agent.follow(second.url.href, suite.provider.url);
    expect(listed(difference.page!.html)).toEqual(['Số điện thoại']);
    const tokens = await redeem(suite.rp, second, (await submit(agent, difference.page!, 'consent', { decision: 'approve' })).redirect!);
    expect(await oidc.fetchUserInfo(suite.rp, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ name: 'Nguyễn Văn An', phone_number: an.phone });

    const third = await authorizationRequest(suite.rp, { scope: 'openid profile phone' });
    expect((await agent.follow(third.url.href, suite.provider.url)).redirect).toBeTruthy();
  });

  it('at level 2, marks level-2 information apart from the basics', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile address id_card', acr_values: LOA2 });
    const html = (await level2Consent(agent, request)).page!.html;
    expect(html).toContain('Thông tin mức độ 2 (đã xác thực trực tiếp tại cơ quan công an)');
    const level2 = html.slice(html.indexOf('class="claims level2"'));
    expect(listed(level2)).toEqual(['Địa chỉ thường trú', 'Quê quán', 'Thông tin thẻ căn cước (số, ngày cấp, ngày hết hạn, nơi cấp)']);
    expect(level2).toContain('<span class="badge">Mức 2</span>');
    expect(listed(html.slice(0, html.indexOf('class="claims level2"')))).not.toContain('Địa chỉ thường trú');
    expect(html).not.toContain('Chỉ chia sẻ khi bạn đăng nhập ở mức độ 2');
  });

  it('tells a level-1 account that level-2 information needs its upgrade at a police office, not just another sign-in', async () => {
    const binh = SANDBOX_CITIZENS.find((c) => c.level === 1 && !c.locked)!;
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile address' });
    const login = await agent.follow(request.url.href, suite.provider.url);
    const html = (await submit(agent, login.page!, 'login', { username: binh.personalId, password: SANDBOX_PASSWORD })).page!.html;
    expect(html).toContain('Tài khoản của bạn đang ở mức độ 1');
    expect(html).toContain('nâng lên mức độ 2 tại cơ quan công an');
    expect(html).not.toContain('mà không hỏi lại');
  });

  it('at level 1, says level-2 information is not shared by this sign-in, and the grant keeps what was consented', async () => {
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile address id_card' });
    const login = await agent.follow(request.url.href, suite.provider.url);
    const consent = await submit(agent, login.page!, 'login', { username: an.personalId, password: SANDBOX_PASSWORD });
    const html = consent.page!.html;
    // Not under the heading of what goes out: under its own, saying it does not go out now.
    expect(html).not.toContain('class="claims level2"');
    expect(html).toContain('Chỉ chia sẻ khi bạn đăng nhập ở mức độ 2 (lần đăng nhập này không chia sẻ)');
    // An's account is level 2: the next level-2 sign-in releases them.
    expect(html).toContain('vào lần bạn đăng nhập ở mức độ 2 (bằng mã SMS hoặc ứng dụng VNeID) mà không hỏi lại');
    const later = html.slice(html.indexOf('class="claims later"'));
    expect(listed(later)).toEqual(['Địa chỉ thường trú', 'Quê quán', 'Thông tin thẻ căn cước (số, ngày cấp, ngày hết hạn, nơi cấp)']);
    expect(listed(html.slice(0, html.indexOf('class="claims later"')))).toEqual(['Mã nhận diện tài khoản của bạn dành riêng cho dịch vụ này', 'Họ và tên', 'Ngày sinh', 'Giới tính']);
    const tokens = await redeem(suite.rp, request, (await submit(agent, consent.page!, 'consent', { decision: 'approve' })).redirect!);
    expect(tokens.claims()?.acr).toBe('urn:vn:eid:loa:1');
    expect(await oidc.fetchUserInfo(suite.rp, tokens.access_token, tokens.claims()!.sub)).not.toHaveProperty('address');
    // Consented scopes are stored as before (README: read acr, not scope).
    expect(tokens.scope?.split(' ')).toEqual(expect.arrayContaining(['address', 'id_card']));
  });

  it('says which asked-for data the citizen\'s record does not hold, instead of listing it as shared', async () => {
    await suite.provider.database.db.updateTable('accounts').set({ email: null, email_verified: false }).where('personal_id', '=', dung.personalId).execute();
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile email phone' });
    const login = await agent.follow(request.url.href, suite.provider.url);
    const html = (await submit(agent, login.page!, 'login', { username: dung.personalId, password: SANDBOX_PASSWORD })).page!.html;
    expect(listed(html)).not.toContain('Địa chỉ thư điện tử');
    expect(listed(html)).toContain('Số điện thoại');
    expect(html).toContain('Hồ sơ của bạn không có, nên không chia sẻ: Địa chỉ thư điện tử.');
  });

  it('names verified_claims, when asked, among what the citizen consents to', async () => {
    const agent = new UserAgent();
    const claims = JSON.stringify({ userinfo: { verified_claims: { verification: { trust_framework: null }, claims: { given_name: null } } } });
    const request = await authorizationRequest(suite.rp, { scope: 'openid', acr_values: LOA2, claims });
    const html = (await level2Consent(agent, request)).page!.html;
    expect(listed(html.slice(html.indexOf('class="claims level2"')))).toContain(
      'Danh tính kèm bằng chứng xác thực (thẻ căn cước được kiểm tra trực tiếp tại cơ quan công an, Bộ Công an xác nhận)',
    );
  });

  it('shows a public service in notice mode as information with one way on, and no choice to refuse data', async () => {
    await suite.provider.addClient({
      client_id: 'dvc-notice', client_secret: 'dvc-notice-secret-0123456789', client_name: 'Cổng Dịch vụ công Quốc gia',
      redirect_uris: ['http://localhost:8080/callback'], scope: 'openid profile personal_id', consent_mode: 'notice', subject_type: 'public',
    });
    const portal = await relyingParty(suite.provider.url, 'dvc-notice', 'dvc-notice-secret-0123456789');
    const agent = new UserAgent();
    const request = await authorizationRequest(portal, { scope: 'openid profile personal_id' });
    const login = await agent.follow(request.url.href, suite.provider.url);
    const notice = await submit(agent, login.page!, 'login', { username: an.personalId, password: SANDBOX_PASSWORD });
    const html = notice.page!.html;
    expect(html).toContain('Cổng Dịch vụ công Quốc gia sẽ nhận các thông tin sau của bạn');
    expect(html).toContain('id="notice"');
    expect(html).not.toContain('value="deny"');
    expect(listed(html)).toContain('Số định danh cá nhân');
    const tokens = await redeem(portal, request, (await submit(agent, notice.page!, 'notice', { decision: 'approve' })).redirect!);
    expect(await oidc.fetchUserInfo(portal, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ personal_id: an.personalId });
  });

  it('refuses to register a client with an unknown consent mode', async () => {
    // The registry's constraint refuses it before any citizen could meet it.
    await expect(
      suite.provider.addClient({ client_id: 'bad-mode', client_secret: 'bad-mode-secret-0123456789', redirect_uris: ['http://localhost:8080/callback'], consent_mode: 'silent' }),
    ).rejects.toThrow(/consent_mode/);
    const bad = await relyingParty(suite.provider.url, 'bad-mode', 'bad-mode-secret-0123456789');
    const response = await fetch((await authorizationRequest(bad)).url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('invalid_client');
  });
});
