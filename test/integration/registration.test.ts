// The registration desk end to end: an officer files, a different supervisor approves, the first password
// arrives by SMS, the citizen must change it at first sign-in, then signs in to a service.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD, SANDBOX_UNREGISTERED } from '../../src/sandbox/seed.ts';
import { enrolDevice, smsCode } from '../helpers/app-device.ts';
import { testClock } from '../helpers/clock.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startProvider } from '../helpers/provider.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const [hoa, khoi, long] = SANDBOX_UNREGISTERED as unknown as [typeof SANDBOX_UNREGISTERED[0], typeof SANDBOX_UNREGISTERED[1], typeof SANDBOX_UNREGISTERED[2]];

/** The status the sign-in form answers for these credentials. */
async function passwordAnswer(authorizationUrl: string, username: string, password: string): Promise<number> {
  const agent = new UserAgent();
  const { page } = await agent.follow(authorizationUrl, suite.provider.url);
  const response = await agent.request(new URL(formAction(page!.html, 'login'), page!.url).href, { form: { _csrf: csrfToken(page!.html), username, password } });
  return response.status;
}

const firstPasswordIn = (sms: string | undefined) => /Mật khẩu đăng nhập lần đầu: (\S+) \./.exec(sms ?? '')?.[1];

describe('officer sessions', () => {
  it('signs officers in with a bearer token and refuses everything without one', async () => {
    const wrong = await fetch(`${suite.provider.url}/admin/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'canbo', password: 'nope-nope' }) });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_credentials', error_description: 'wrong username, password or one-time code' });
    const unknown = await fetch(`${suite.provider.url}/admin/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody', password: 'nope-nope' }) });
    expect(unknown.status).toBe(401);

    const anonymous = await fetch(`${suite.provider.url}/admin/applications`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    const forged = await fetch(`${suite.provider.url}/admin/applications`, { headers: { authorization: 'Bearer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } });
    expect(forged.status).toBe(401);

    const officer = await officerClient(suite.provider.url, 'canbo', { fresh: true });
    expect((await officer.call('GET', '/admin/me')).body).toMatchObject({ username: 'canbo', role: 'officer' });
    expect((await officer.call('DELETE', '/admin/sessions/current')).status).toBe(204);
    expect((await officer.call('GET', '/admin/me')).status).toBe(401);
  });
});

describe('applications', () => {
  it('refuses what the desk must not file, each with a reason in the officer’s terms', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const file = (body: Record<string, unknown>) => officer.call('POST', '/admin/applications', { personal_id: long.personalId, phone: '0912111222', requested_level: 1, ...body });
    expect(await file({ personal_id: '001090999999' })).toMatchObject({ status: 404, body: { error: 'no_record' } });
    expect(await file({ personal_id: SANDBOX_CITIZENS[0]!.personalId })).toMatchObject({ status: 409, body: { error: 'account_exists' } });
    expect(await file({ personal_id: khoi.personalId })).toMatchObject({ status: 422, body: { error: 'under_14' } });
    expect(await file({ phone: '0241234567' })).toMatchObject({ status: 422, body: { error: 'invalid_phone' } });
    expect(await file({ documents: ['driver_license'] })).toMatchObject({ status: 422, body: { error: 'level_2_required' } });
    expect(await file({ requested_level: 2, documents: ['driver_license'] })).toMatchObject({ status: 422, body: { error: 'no_such_document' } });
    expect(await file({ requested_level: 2, dependents: [khoi.personalId] })).toMatchObject({ status: 422, body: { error: 'not_a_dependent' } });
    expect(await file({ personal_id: '12345' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await file({ requested_level: 3 })).toMatchObject({ status: 400 });
    // Nothing above left an application behind.
    expect((await officer.call('GET', '/admin/applications?status=applied')).body.applications).toEqual([]);
  });

  it('issues the account on a second person’s approval, texts the first password, and forces a change at first sign-in', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const filed = await officer.call('POST', '/admin/applications', { personal_id: long.personalId, phone: '0912 111 222', email: 'long.bui@example.vn', requested_level: 1 });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ status: 'applied', phone: '+84912111222', requested_level: 1 });
    expect(await officer.call('POST', '/admin/applications', { personal_id: long.personalId, phone: '0912111222', requested_level: 1 })).toMatchObject({ status: 409, body: { error: 'application_open' } });

    // An officer cannot decide; a supervisor can.
    expect(await officer.call('POST', `/admin/applications/${filed.body.id}/approve`)).toMatchObject({ status: 403, body: { error: 'supervisor_only' } });
    const approved = await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`);
    expect(approved).toMatchObject({ status: 200, body: { status: 'approved' } });
    expect(await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`)).toMatchObject({ status: 409, body: { error: 'already_decided' } });
    const accountId = approved.body.account_id as string;
    expect(JSON.stringify(approved.body)).not.toMatch(/password/i);

    const sms = await suite.provider.lastSms('+84912111222');
    const firstPassword = firstPasswordIn(sms);
    expect(firstPassword).toMatch(/^[A-Za-z2-9]{10}$/);

    // First sign-in: the SMS password works once, and only to choose a new password.
    const agent = new UserAgent();
    const request = await authorizationRequest(suite.rp);
    let step = await agent.follow(request.url.href, suite.provider.url);
    step = await agent.follow(new URL(formAction(step.page!.html, 'login'), step.page!.url).href, suite.provider.url, {
      form: { _csrf: csrfToken(step.page!.html), username: long.personalId, password: firstPassword! },
    });
    expect(step.page?.html).toContain('id="password-change"');
    expect(step.page?.html).toContain('Đặt mật khẩu mới trước khi tiếp tục');
    const change = async (password: string, confirm = password) => {
      const html = step.page!.html;
      step = await agent.follow(new URL(formAction(html, 'password-change'), step.page!.url).href, suite.provider.url, { form: { _csrf: csrfToken(html), password, password_confirm: confirm } });
      return step;
    };
    expect((await change('matkhau2024')).page?.html).toContain('quá phổ biến');
    expect((await change(`x${long.personalId}`)).page?.html).toContain('không được chứa số định danh');
    expect((await change('Long24121979!')).page?.html).toContain('không được chứa ngày sinh');
    expect((await change('Cay-Xoai-Vuon-Nha', 'Cay-Xoai-Vuon-Nhaa')).page?.html).toContain('không khớp');
    expect((await change('ngan')).page?.html).toContain('ít nhất 8 ký tự');
    // The field is marked wrong and described by the message, as on the SMS code page.
    expect(step.page?.html).toContain('<div class="error" id="password-error" role="alert">Mật khẩu cần ít nhất 8 ký tự.</div>');
    expect(step.page?.html).toMatch(/<input type="password" id="password" [^>]*aria-describedby="password-rules password-error" aria-invalid="true"/);
    // The language switch on a refused password shows the same step in English, not the password form of the start.
    const switchLink = (html: string) => /<header>[\s\S]*?<a href="([^"]+)" hreflang/.exec(html)![1]!.replace(/&amp;/g, '&');
    step = await agent.follow(new URL(switchLink(step.page!.html), step.page!.url).href, suite.provider.url);
    expect(step.page?.html).toContain('<html lang="en">');
    expect(step.page?.html).toContain('id="password-change"');
    expect(step.page?.html).toContain('Choose a new password before you continue');
    step = await agent.follow(new URL(switchLink(step.page!.html), step.page!.url).href, suite.provider.url);
    expect(step.page?.html).toContain('Đặt mật khẩu mới trước khi tiếp tục');
    expect((await change(firstPassword!)).page?.status).toBe(400);
    const done = await change('Cay-Xoai-Vuon-Nha');
    // On to consent and back to the service, signed in at level 1.
    expect(done.page?.html).toContain('id="consent"');
    const html = done.page!.html;
    const final = await agent.follow(new URL(formAction(html, 'consent'), done.page!.url).href, suite.provider.url, { form: { _csrf: csrfToken(html), decision: 'approve' } });
    const tokens = await redeem(suite.rp, request, final.redirect!);
    expect(tokens.claims()?.acr).toBe('urn:vn:eid:loa:1');
    expect(await oidc.fetchUserInfo(suite.rp, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ name: 'Bùi Văn Long' });

    // The SMS password is dead; the chosen one works without another change.
    const again = await authorizationRequest(suite.rp);
    expect(await passwordAnswer(again.url.href, long.personalId, firstPassword!)).toBe(401);
    const callback = await signInThroughPages(new UserAgent(), again.url.href, { username: long.personalId, password: 'Cay-Xoai-Vuon-Nha' });
    expect((await redeem(suite.rp, again, callback)).claims()?.sub).toBe(tokens.claims()?.sub);

    // The phone is confirmed by the SMS having reached the citizen, and everything is in the audit trail.
    expect((await officer.call('GET', `/admin/accounts/${accountId}`)).body).toMatchObject({ status: 'active', phone: '+84912111222', phone_verified: true, password_must_change: false, level: 1 });
    expect((await officer.call('GET', `/admin/accounts/${accountId}/audit`)).status).toBe(403);
    await suite.provider.background.idle();
    const trail = (await supervisor.call('GET', `/admin/accounts/${accountId}/audit`)).body.events as { action: string; actor_type: string }[];
    // First the desk's filings refused for what the record held (the open application above), then the issue, the
    // password set, the dead SMS password tried above, and the officer's look at the account.
    const actions = trail.map((e) => e.action);
    expect(actions.slice(actions.indexOf('account.issued'))).toEqual(['account.issued', 'account.password_set', 'account.sign_in_failed', 'account.viewed']);
    expect(actions.slice(0, actions.indexOf('account.issued'))).toContain('application.refused');
    expect(new Set(actions.slice(0, actions.indexOf('account.issued')))).toEqual(new Set(['application.refused']));
    expect(trail.find((e) => e.action === 'account.password_set')!.actor_type).toBe('citizen');
  });

  it('never lets a supervisor decide an application they filed', async () => {
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const other = await officerClient(suite.provider.url, 'giamsat2');
    const filed = await supervisor.call('POST', '/admin/applications', { personal_id: hoa.personalId, phone: '0987654321', requested_level: 2 });
    expect(filed.status).toBe(201);
    expect(await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`)).toMatchObject({ status: 403, body: { error: 'separation_of_duties' } });
    expect(await supervisor.call('POST', `/admin/applications/${filed.body.id}/reject`, { reason: 'tự từ chối' })).toMatchObject({ status: 403, body: { error: 'separation_of_duties' } });
    // The table itself refuses it too, whoever writes to it.
    await expect(
      suite.provider.database.db.updateTable('account_applications').set({ status: 'rejected', decided_by: filed.body.filed_by, decided_at: new Date(), decision_reason: 'x' }).where('id', '=', filed.body.id).execute(),
    ).rejects.toThrow(/separation_of_duties/);
    // Rejected by another supervisor, with a reason; no account exists and a new application may be filed.
    expect(await other.call('POST', `/admin/applications/${filed.body.id}/reject`, { reason: 'Số điện thoại không chính chủ' })).toMatchObject({ status: 200, body: { status: 'rejected' } });
    expect((await other.call('GET', `/admin/applications/${filed.body.id}`)).body).toMatchObject({ status: 'rejected', decision_reason: 'Số điện thoại không chính chủ' });
    expect((await other.call('GET', `/admin/citizens/${hoa.personalId}`)).body).toMatchObject({ account: null, open_application: null });
    expect(await suite.provider.lastSms('+84987654321')).toBeUndefined();
  });

  it('registers a child under 14 under the guardian’s level-2 account and lists it there', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const citizen = (await officer.call('GET', `/admin/citizens/${hoa.personalId}`)).body;
    expect(citizen.children_under_14).toEqual([expect.objectContaining({ personal_id: khoi.personalId, relation: 'mother', registered: false })]);

    const filed = await officer.call('POST', '/admin/applications', { personal_id: hoa.personalId, phone: '0987654321', requested_level: 2, dependents: [khoi.personalId] });
    expect(filed.status).toBe(201);
    const approved = await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`);
    expect(approved.status).toBe(200);
    const account = (await officer.call('GET', `/admin/accounts/${approved.body.account_id}`)).body;
    expect(account).toMatchObject({ level: 2, status: 'active', password_must_change: true });
    expect(account.dependents).toEqual([expect.objectContaining({ personal_id: khoi.personalId, name: 'Đặng Minh Khôi', birthdate: khoi.birthdate })]);
    expect((await officer.call('GET', `/admin/citizens/${hoa.personalId}`)).body.children_under_14[0].registered).toBe(true);
    expect(firstPasswordIn(await suite.provider.lastSms('+84987654321'))).toBeTruthy();
  });
});

describe('revocation', () => {
  it('ends an account at once: its tokens stop working and it never signs in again', async () => {
    const citizen = SANDBOX_CITIZENS[3]!;
    // offline_access with prompt=consent: the service holds a refresh token, which revocation must end too.
    const request = await authorizationRequest(suite.rp, { scope: 'openid profile offline_access', prompt: 'consent' });
    const tokens = await redeem(suite.rp, request, await signInThroughPages(new UserAgent(), request.url.href, { username: citizen.personalId, password: SANDBOX_PASSWORD }));
    const sub = tokens.claims()!.sub;
    expect(await oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).toHaveProperty('sub', sub);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    // Before the revocation the refresh token works (rotated or not, the newest one is what the service keeps).
    const refreshed = await oidc.refreshTokenGrant(suite.rp, tokens.refresh_token!);
    expect(refreshed.access_token).toEqual(expect.any(String));
    const refreshToken = refreshed.refresh_token ?? tokens.refresh_token!;

    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    // The service's `sub` is pairwise; the desk finds the account by the personal ID number.
    const accountId = (await officer.call('GET', `/admin/citizens/${citizen.personalId}`)).body.account.id as string;
    expect(accountId).not.toBe(sub);
    expect(await officer.call('POST', `/admin/accounts/${accountId}/revoke`, { reason: 'Công dân đã mất' })).toMatchObject({ status: 403 });
    expect(await supervisor.call('POST', `/admin/accounts/${accountId}/revoke`, { reason: 'Công dân đề nghị thu hồi' })).toMatchObject({ status: 200, body: { status: 'revoked' } });
    expect(await supervisor.call('POST', `/admin/accounts/${accountId}/revoke`, { reason: 'again' })).toMatchObject({ status: 409 });

    await expect(oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    await expect(oidc.fetchUserInfo(suite.rp, refreshed.access_token, sub)).rejects.toMatchObject({ status: 401 });
    await expect(oidc.refreshTokenGrant(suite.rp, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
    const again = await authorizationRequest(suite.rp);
    expect(await passwordAnswer(again.url.href, citizen.personalId, 'wrong-password')).toBe(401);
    expect(await passwordAnswer(again.url.href, citizen.personalId, SANDBOX_PASSWORD)).toBe(403);
  });
});

describe('re-issuing a revoked account', () => {
  it('takes a new application decided by a second person: the same account and subject at services, a new first password, nothing from before', async () => {
    const em = SANDBOX_CITIZENS[4]!;
    const before = await authorizationRequest(suite.rp);
    const sub = (await redeem(suite.rp, before, await signInThroughPages(new UserAgent(), before.url.href, { username: em.personalId, password: SANDBOX_PASSWORD }))).claims()!.sub;
    const device = await enrolDevice(suite.provider, { personalId: em.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, em.phone) });
    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const accountId = (await officer.call('GET', `/admin/citizens/${em.personalId}`)).body.account.id as string;
    expect((await supervisor.call('POST', `/admin/accounts/${accountId}/revoke`, { reason: 'Công dân báo mất điện thoại và thẻ' })).status).toBe(200);

    // The citizen comes back to the desk: a new application, with the phone they have now.
    const filed = await officer.call('POST', '/admin/applications', { personal_id: em.personalId, phone: '0903 555 666', requested_level: 2 });
    expect(filed).toMatchObject({ status: 201, body: { status: 'applied', phone: '+84903555666' } });
    expect((await officer.call('GET', `/admin/citizens/${em.personalId}`)).body).toMatchObject({ account: { id: accountId, status: 'revoked' }, open_application: filed.body.id });
    expect(await officer.call('POST', `/admin/applications/${filed.body.id}/approve`)).toMatchObject({ status: 403 });
    const approved = await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`);
    expect(approved).toMatchObject({ status: 200, body: { status: 'approved', account_id: accountId } });
    expect((await officer.call('GET', `/admin/accounts/${accountId}`)).body).toMatchObject({ status: 'active', phone: '+84903555666', level: 2, password_must_change: true });
    // Now it has an account again.
    expect(await officer.call('POST', '/admin/applications', { personal_id: em.personalId, phone: '0903555666', requested_level: 1 })).toMatchObject({ status: 409, body: { error: 'account_exists' } });

    // Nothing from before opens it: not the old password, not the device bound to the old phone.
    const again = await authorizationRequest(suite.rp);
    expect(await passwordAnswer(again.url.href, em.personalId, SANDBOX_PASSWORD)).toBe(401);
    expect(await device.request('GET', '/app/devices/me')).toMatchObject({ status: 401, body: { error: 'invalid_device_proof' } });

    // The first password reached the new phone; after choosing a new one the service knows the citizen again.
    const firstPassword = firstPasswordIn(await suite.provider.lastSms('+84903555666'));
    expect(firstPassword).toBeTruthy();
    const agent = new UserAgent();
    let step = await agent.follow(again.url.href, suite.provider.url);
    step = await agent.follow(new URL(formAction(step.page!.html, 'login'), step.page!.url).href, suite.provider.url, { form: { _csrf: csrfToken(step.page!.html), username: em.personalId, password: firstPassword! } });
    expect(step.page?.html).toContain('id="password-change"');
    step = await agent.follow(new URL(formAction(step.page!.html, 'password-change'), step.page!.url).href, suite.provider.url, { form: { _csrf: csrfToken(step.page!.html), password: 'Dua-Hau-Mua-He-2026', password_confirm: 'Dua-Hau-Mua-He-2026' } });
    // The consent given before ended with the revocation: asked again.
    expect(step.page?.html).toContain('id="consent"');
    step = await agent.follow(new URL(formAction(step.page!.html, 'consent'), step.page!.url).href, suite.provider.url, { form: { _csrf: csrfToken(step.page!.html), decision: 'approve' } });
    expect((await redeem(suite.rp, again, step.redirect!)).claims()?.sub).toBe(sub);

    const trail = (await supervisor.call('GET', `/admin/accounts/${accountId}/audit`)).body.events as { action: string }[];
    const actions = trail.map((e) => e.action);
    expect(actions.indexOf('account.reissued')).toBeGreaterThan(actions.indexOf('account.revoked'));
  });

  it('lets a revoked guardian’s new application take back the children registered under the account', async () => {
    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const accountId = (await officer.call('GET', `/admin/citizens/${hoa.personalId}`)).body.account.id as string;
    expect((await officer.call('GET', `/admin/accounts/${accountId}`)).body.dependents).toEqual([expect.objectContaining({ personal_id: khoi.personalId })]);
    expect((await supervisor.call('POST', `/admin/accounts/${accountId}/revoke`, { reason: 'Công dân đề nghị thu hồi' })).status).toBe(200);
    const filed = await officer.call('POST', '/admin/applications', { personal_id: hoa.personalId, phone: '0987654321', requested_level: 2, dependents: [khoi.personalId] });
    expect(filed.status).toBe(201);
    expect(await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`)).toMatchObject({ status: 200, body: { account_id: accountId } });
    expect((await officer.call('GET', `/admin/accounts/${accountId}`)).body).toMatchObject({ status: 'active', dependents: [expect.objectContaining({ personal_id: khoi.personalId })] });
  });
});

describe('a dependent who turns 14', () => {
  it('gets an own account and leaves the guardian’s list', async () => {
    const clock = testClock();
    const testDb = await createTestDatabase();
    const provider = await startProvider(testDb, { clock: clock.now });
    try {
      const officer = await officerClient(provider.url, 'canbo');
      const supervisor = await officerClient(provider.url, 'giamsat');
      const guardian = await officer.call('POST', '/admin/applications', { personal_id: hoa.personalId, phone: '0987654321', requested_level: 2, dependents: [khoi.personalId] });
      const guardianAccount = (await supervisor.call('POST', `/admin/applications/${guardian.body.id}/approve`)).body.account_id as string;
      expect(await officer.call('POST', '/admin/applications', { personal_id: khoi.personalId, phone: '0909123456', requested_level: 1 })).toMatchObject({ status: 422, body: { error: 'under_14' } });

      // Years later: 14 and over, so the child applies like anyone else (the desk signs in anew).
      clock.advance(15 * 365 * 24 * 3600);
      expect((await officer.call('GET', '/admin/me')).status).toBe(401);
      const deskOfficer = await officerClient(provider.url, 'canbo', { fresh: true });
      const deskSupervisor = await officerClient(provider.url, 'giamsat', { fresh: true });
      const own = await deskOfficer.call('POST', '/admin/applications', { personal_id: khoi.personalId, phone: '0909123456', requested_level: 1 });
      expect(own.status).toBe(201);
      const ownAccount = await deskSupervisor.call('POST', `/admin/applications/${own.body.id}/approve`);
      expect(ownAccount.status).toBe(200);
      expect((await deskOfficer.call('GET', `/admin/accounts/${guardianAccount}`)).body.dependents).toEqual([]);
    } finally {
      await provider.close();
      await testDb.drop();
    }
  });
});
