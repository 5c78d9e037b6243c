// A citizen who changed phone number has it changed at the desk: codes go to the new phone from then on, the old
// phone is told (never the new number), and what the old phone held or reached ends.
import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { enrolDevice, smsCode } from '../helpers/app-device.ts';
import { betweenReadAndWrite, ENGINE } from '../helpers/database.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { authorizationRequest, redeem, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite({ env: { OTP_MAX_CODES_PER_DAY: '100' } });
const em = SANDBOX_CITIZENS.find((c) => c.personalId === '092075001122')!;
const NEW_PHONE = '+84903111222';

/** "Quên mật khẩu?" from a service's sign-in page, for this ID number. */
async function askResetCode(personalId: string) {
  const agent = new UserAgent();
  const request = await authorizationRequest(suite.rp);
  const login = (await agent.follow(request.url.href, suite.provider.url)).page!;
  const link = /<a href="([^"]+)">Quên mật khẩu\?<\/a>/.exec(login.html)![1]!.replace(/&amp;/g, '&');
  const form = (await agent.follow(new URL(link, login.url).href, suite.provider.url)).page!;
  const response = await agent.request(new URL(formAction(form.html, 'password-reset-request'), form.url).href, { form: { _csrf: csrfToken(form.html), username: personalId } });
  expect(response.status).toBeLessThan(400);
  await suite.provider.background.idle();
}

describe('changing an account’s phone at the desk', () => {
  it('sends codes to the new phone, tells the old one without the new number, and ends the sessions and devices', async () => {
    const device = await enrolDevice(suite.provider, { personalId: em.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, em.phone) });
    expect((await device.request('GET', '/app/devices/me')).status).toBe(200);
    const request = await authorizationRequest(suite.rp);
    const tokens = await redeem(suite.rp, request, await signInThroughPages(new UserAgent(), request.url.href, { username: em.personalId, password: SANDBOX_PASSWORD }));
    const sub = tokens.claims()!.sub;
    expect(await oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).toHaveProperty('sub', sub);

    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const accountId = (await officer.call('GET', `/admin/citizens/${em.personalId}`)).body.account.id as string;
    const path = `/admin/accounts/${accountId}/phone`;
    // A desk officer cannot hand the account's codes to another number; a supervisor can.
    expect(await officer.call('POST', path, { phone: '0903 111 222', reason: 'Công dân đổi số điện thoại' })).toMatchObject({ status: 403, body: { error: 'supervisor_only' } });
    expect(await supervisor.call('POST', path, { phone: '0241234567', reason: 'Công dân đổi số điện thoại' })).toMatchObject({ status: 422, body: { error: 'invalid_phone' } });
    const changed = await supervisor.call('POST', path, { phone: '0903 111 222', reason: 'Công dân đổi số điện thoại' });
    expect(changed).toMatchObject({ status: 200, body: { phone: NEW_PHONE, phone_verified: true, status: 'active' } });
    expect(await supervisor.call('POST', path, { phone: NEW_PHONE, reason: 'lần nữa' })).toMatchObject({ status: 409, body: { error: 'phone_unchanged' } });

    // The old phone hears of it, and never learns the new number.
    const notice = await suite.provider.lastSms(em.phone);
    expect(notice).toContain('đã được thay đổi');
    expect(notice).not.toMatch(/903\s?111\s?222/);

    // What the old phone held, or what was signed in before, ends at once.
    await expect(oidc.fetchUserInfo(suite.rp, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    expect(await device.request('GET', '/app/devices/me')).toMatchObject({ status: 401, body: { error: 'invalid_device_proof' } });

    // A reset code now goes to the new phone, not the old one; the password still signs in.
    await askResetCode(em.personalId);
    expect(await suite.provider.lastSms(NEW_PHONE)).toMatch(/mã đặt lại mật khẩu của bạn là \d{6},/);
    expect(await suite.provider.lastSms(em.phone)).toBe(notice);
    const again = await authorizationRequest(suite.rp);
    expect((await redeem(suite.rp, again, await signInThroughPages(new UserAgent(), again.url.href, { username: em.personalId, password: SANDBOX_PASSWORD }))).claims()?.sub).toBe(sub);

    // In the audit trail: who, why, and how many devices it unbound; not the number.
    const trail = (await supervisor.call('GET', `/admin/accounts/${accountId}/audit`)).body.events as { action: string; actor_id: string; detail: Record<string, unknown> }[];
    const event = trail.find((e) => e.action === 'account.phone_changed');
    // Which numbers, masked as the sign-in page shows them: enough to follow a change and its undoing, not to dial.
    expect(event).toMatchObject({ actor_id: (await supervisor.call('GET', '/admin/me')).body.id, detail: { note: 'Công dân đổi số điện thoại', devices_unbound: 1, from: '+84 •••• ••789', to: '+84 •••• ••222' } });
    expect(JSON.stringify(trail)).not.toContain('903111222');
  });

  it('replaces a first password the old phone received: it stops working, and a new one reaches the new phone', async () => {
    const hoa = '001188000321';
    const officer = await officerClient(suite.provider.url, 'canbo');
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const filed = await officer.call('POST', '/admin/applications', { personal_id: hoa, phone: '0912 777 888', requested_level: 1 });
    const accountId = (await supervisor.call('POST', `/admin/applications/${filed.body.id}/approve`)).body.account_id as string;
    const firstPasswordIn = (sms: string | undefined) => /Mật khẩu đăng nhập lần đầu: (\S+) \./.exec(sms ?? '')?.[1];
    const oldFirst = firstPasswordIn(await suite.provider.lastSms('+84912777888'))!;
    expect(oldFirst).toBeTruthy();

    // Whoever has the old phone signs in with its first password and waits on the page that asks for a new one.
    const intruder = new UserAgent();
    const start = await intruder.follow((await authorizationRequest(suite.rp)).url.href, suite.provider.url);
    const held = await intruder.follow(new URL(formAction(start.page!.html, 'login'), start.page!.url).href, suite.provider.url, {
      form: { _csrf: csrfToken(start.page!.html), username: hoa, password: oldFirst },
    });
    expect(held.page?.html).toContain('id="password-change"');

    expect((await supervisor.call('POST', `/admin/accounts/${accountId}/phone`, { phone: '0903 777 888', reason: 'Nhập nhầm số khi đăng ký' })).status).toBe(200);
    // The step that password opened is void: choosing a password there signs nobody in.
    const chosen = await intruder.follow(new URL(formAction(held.page!.html, 'password-change'), held.page!.url).href, suite.provider.url, {
      form: { _csrf: csrfToken(held.page!.html), password: 'Ke-gian-2026-dai', password_confirm: 'Ke-gian-2026-dai' },
    });
    expect(chosen.redirect).toBeUndefined();
    expect(chosen.page?.html).toContain('id="login"');
    const newFirst = firstPasswordIn(await suite.provider.lastSms('+84903777888'));
    expect(newFirst).toMatch(/^[A-Za-z2-9]{10}$/);
    expect(newFirst).not.toBe(oldFirst);
    const firstStep = async (password: string) => {
      const agent = new UserAgent();
      const start = await agent.follow((await authorizationRequest(suite.rp)).url.href, suite.provider.url);
      return agent.follow(new URL(formAction(start.page!.html, 'login'), start.page!.url).href, suite.provider.url, {
        form: { _csrf: csrfToken(start.page!.html), username: hoa, password },
      });
    };
    expect((await firstStep(oldFirst)).page?.status).toBe(401);
    expect((await firstStep(newFirst!)).page?.html).toContain('id="password-change"');
  });

  it.runIf(ENGINE === 'postgres')('sends a reset asked just before the change to the new phone, not the one read before it', async () => {
    const cuong = SANDBOX_CITIZENS.find((c) => c.personalId === '048201004567')!;
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const accountId = (await supervisor.call('GET', `/admin/citizens/${cuong.personalId}`)).body.account.id as string;
    // The reset's work reads the account, then waits for its row, which the desk's change holds and commits meanwhile.
    await betweenReadAndWrite(
      suite.provider.database.db,
      { account: accountId },
      () => askResetCode(cuong.personalId),
      (trx) => trx.updateTable('accounts').set({ phone: '+84903555666' }).where('id', '=', accountId).execute(),
    );
    expect(await suite.provider.lastSms('+84903555666')).toMatch(/mã đặt lại mật khẩu của bạn là \d{6},/);
    expect((await suite.provider.lastSms(cuong.phone)) ?? '').not.toMatch(/mã đặt lại mật khẩu/);
  });

  it('refuses a revoked account', async () => {
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    const dung = SANDBOX_CITIZENS.find((c) => c.personalId === '031303007890')!;
    const accountId = (await supervisor.call('GET', `/admin/citizens/${dung.personalId}`)).body.account.id as string;
    expect((await supervisor.call('POST', `/admin/accounts/${accountId}/revoke`, { reason: 'Công dân đề nghị thu hồi' })).status).toBe(200);
    expect(await supervisor.call('POST', `/admin/accounts/${accountId}/phone`, { phone: '0903 444 555', reason: 'đổi số' })).toMatchObject({ status: 409, body: { error: 'not_changeable' } });
  });
});
