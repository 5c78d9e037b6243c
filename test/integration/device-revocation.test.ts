// The citizen manages the app's devices on /account, and "stops at once" holds: removing a device, an officer
// locking or revoking the account, or the account losing level 2 refuses the device's very next request.
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { enrolDevice, smsCode } from '../helpers/app-device.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite({ env: { OTP_MAX_CODES_PER_DAY: '100' } });
const citizen = (id: string) => SANDBOX_CITIZENS.find((c) => c.personalId === id)!;
const an = citizen('001090012345');
const em = citizen('092075001122');
const cuong = citizen('048201004567');

const enrol = (who: typeof an, deviceName?: string) =>
  enrolDevice(suite.provider, { personalId: who.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, who.phone), ...(deviceName ? { deviceName } : {}) });
const accountIdOf = async (who: typeof an) =>
  (await suite.provider.database.db.selectFrom('accounts').select('id').where('personal_id', '=', who.personalId).executeTakeFirstOrThrow()).id;

/** A browser signed in to /account as the citizen, on the account page. */
async function accountPage(who: typeof an, lang = 'vi') {
  const agent = new UserAgent();
  const first = await agent.follow(`${suite.provider.url}/account?lang=${lang}`, suite.provider.url);
  const back = await agent.follow(new URL(formAction(first.page!.html, 'login'), first.page!.url).href, suite.provider.url, {
    form: { _csrf: csrfToken(first.page!.html), username: who.personalId, password: SANDBOX_PASSWORD },
  });
  expect(back.page?.url).toBe(`${suite.provider.url}/account`);
  return { agent, html: back.page!.html };
}

const post = (agent: UserAgent, path: string, form: Record<string, string>) => agent.follow(`${suite.provider.url}${path}`, suite.provider.url, { form });

describe('devices on /account', () => {
  it('lists the citizen\'s devices, renames one and removes one, which stops its requests at once', async () => {
    const phone = await enrol(em, 'Điện thoại cũ');
    const tablet = await enrol(em, 'Máy tính bảng');
    const { agent, html } = await accountPage(em);
    expect(html).toContain('Thiết bị đã liên kết');
    expect(html).toContain('Điện thoại cũ');
    expect(html).toContain('Máy tính bảng');

    const renamed = await post(agent, `/account/devices/${phone.deviceId}/rename`, { _csrf: csrfToken(html), name: 'Điện thoại của Em' });
    expect(renamed.page?.html).toContain('Đã đổi tên thiết bị.');
    expect((await phone.request('GET', '/app/devices/me')).body.device.name).toBe('Điện thoại của Em');

    const removed = await post(agent, `/account/devices/${tablet.deviceId}/remove`, { _csrf: csrfToken(renamed.page!.html) });
    expect(removed.page?.html).toContain('Đã gỡ liên kết.');
    expect(removed.page?.html).not.toContain('Máy tính bảng');
    const refused = await tablet.request('GET', '/app/devices/me');
    expect(refused).toMatchObject({ status: 401, body: { error: 'invalid_device_proof' } });
    expect((await phone.request('GET', '/app/devices/me')).status).toBe(200);
  });

  it('speaks English on request, and refuses an empty name', async () => {
    await enrol(cuong, 'Pixel');
    const { agent, html } = await accountPage(cuong, 'en');
    expect(html).toContain('Linked devices (e-ID app)');
    const id = /action="\/account\/devices\/([\w-]+)\/rename"/.exec(html)![1]!;
    const empty = await post(agent, `/account/devices/${id}/rename`, { _csrf: csrfToken(html), name: '   ' });
    expect(empty.page?.html).toContain('A device name has 1 to 60 characters.');
    expect(empty.page?.html).toContain('Pixel');
  });

  it('refuses a form without the page\'s CSRF token, and another citizen\'s device, changing nothing', async () => {
    const ans = await enrol(an, 'Điện thoại của An');
    const { agent, html } = await accountPage(em);
    const forged = await agent.request(`${suite.provider.url}/account/devices/${ans.deviceId}/remove`, { method: 'POST', form: { _csrf: 'forged' } });
    expect(forged.status).toBe(403);
    const foreign = await post(agent, `/account/devices/${ans.deviceId}/remove`, { _csrf: csrfToken(html) });
    expect(foreign.page?.html).toContain('Không tìm thấy thiết bị này');
    const renamed = await post(agent, `/account/devices/${ans.deviceId}/rename`, { _csrf: csrfToken(html), name: 'Của tôi' });
    expect(renamed.page?.html).toContain('Không tìm thấy thiết bị này');
    expect((await ans.request('GET', '/app/devices/me')).body.device.name).toBe('Điện thoại của An');
  });
});

describe('officer actions and level stop the devices at once', () => {
  it('refuses a locked account\'s device until an officer unlocks it', async () => {
    const device = await enrol(an);
    const officer = await officerClient(suite.provider.url, 'canbo');
    const id = await accountIdOf(an);
    expect((await officer.call('POST', `/admin/accounts/${id}/lock`, { reason: 'điện thoại bị mất' })).status).toBe(200);
    const locked = await device.request('GET', '/app/devices/me');
    expect(locked).toMatchObject({ status: 401, body: { error: 'invalid_device_proof', error_description: expect.stringContaining('locked') } });
    expect((await officer.call('POST', `/admin/accounts/${id}/unlock`)).status).toBe(200);
    expect((await device.request('GET', '/app/devices/me')).status).toBe(200);
  });

  it('refuses a device whose account lost level 2', async () => {
    const device = await enrol(cuong);
    // No route lowers a level today; a correction in the database must still take effect on the next request.
    await suite.provider.database.db.updateTable('accounts').set({ level: 1 }).where('personal_id', '=', cuong.personalId).execute();
    const refused = await device.request('GET', '/app/devices/me');
    expect(refused).toMatchObject({ status: 401, body: { error: 'invalid_device_proof', error_description: expect.stringContaining('level 2') } });
  });

  it('refuses a revoked account\'s devices for good', async () => {
    const device = await enrol(em);
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    expect((await supervisor.call('POST', `/admin/accounts/${await accountIdOf(em)}/revoke`, { reason: 'tài khoản bị thu hồi' })).status).toBe(200);
    const refused = await device.request('GET', '/app/devices/me');
    expect(refused).toMatchObject({ status: 401, body: { error: 'invalid_device_proof', error_description: expect.stringContaining('revoked') } });
  });
});
