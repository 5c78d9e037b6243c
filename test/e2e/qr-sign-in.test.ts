// QR sign-in in a real browser (Chromium through playwright-core): the citizen scans the sign-in page's code
// with the e-ID app (played through the real /app API), approves or denies, and the browser goes on by itself.
import type { Browser, Page } from 'playwright-core';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { enrolDevice, smsCode } from '../helpers/app-device.ts';
import { launchChromium, relyingPartyCallback, type CallbackPage } from '../helpers/browser.ts';
import { testClock } from '../helpers/clock.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { freePort, SANDBOX_SECRET, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, REDIRECT_URI, relyingParty } from '../helpers/relying-party.ts';

const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;
const cuong = SANDBOX_CITIZENS.find((c) => c.personalId === '048201004567')!;
const CLIENT = { client_id: 'cong-dich-vu', client_secret: 'cong-dich-vu-secret-0123456789', client_name: 'Cổng Dịch vụ công' };

const clock = testClock();
let testDb: TestDatabase;
let provider: RunningProvider;
let browser: Browser;
let callback: CallbackPage;
let redirectUri: string;
let rp: oidc.Configuration;
type Device = Awaited<ReturnType<typeof enrolDevice>>;
/** An's phone, Cường's phone, and An's second phone. */
let phone: Device;
let otherCitizensPhone: Device;
let secondPhone: Device;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb, { clock: clock.now });
  callback = await relyingPartyCallback();
  redirectUri = callback.redirectUri;
  await provider.addClient({
    ...CLIENT,
    redirect_uris: [redirectUri],
    scope: 'openid profile personal_id phone email address',
    assurance_level: 2,
    organisation_name: 'Văn phòng Chính phủ',
    organisation_domain: 'dichvucong.gov.vn',
  });
  rp = await relyingParty(provider.url, CLIENT.client_id, CLIENT.client_secret);
  const enrol = (citizen: typeof an, deviceName: string) =>
    enrolDevice(provider, { personalId: citizen.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(provider, citizen.phone), deviceName, now: clock.now });
  phone = await enrol(an, 'iPhone của An');
  otherCitizensPhone = await enrol(cuong, 'Điện thoại của Cường');
  secondPhone = await enrol(an, 'Máy tính bảng của An');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await callback?.close();
  await provider?.close();
  await testDb?.drop();
});

/** The text the sign-in page's QR code holds (what the app's camera would read). */
const scannedText = async (page: Page) => (await page.locator('#qr-code').getAttribute('data-qr-payload'))!;

describe('QR sign-in: the sign-in page', () => {
  it('offers the VNeID app beside the password, with an inline SVG code, in Vietnamese and English', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused/i.test(message.text())) blocked.push(message.text());
    });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(provider.url)) external.push(request.url());
    });
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri });
    await page.goto(request.url.href);
    await page.waitForSelector('form#login');
    expect(await page.locator('#app-sign-in h2').textContent()).toBe('Đăng nhập bằng ứng dụng VNeID');
    expect(await page.locator('#qr-code svg[role="img"]').getAttribute('aria-label')).toBe('Mã QR để đăng nhập bằng ứng dụng VNeID');
    expect(await scannedText(page)).toMatch(new RegExp(`^${provider.url}/app/qr/[A-Za-z0-9_-]{22}$`));
    // The page's script runs under the policy and looks at the code's state.
    const status = page.waitForResponse((response) => response.url().endsWith('/qr/status'));
    expect((await (await status).json()).status).toBe('pending');
    expect(blocked).toEqual([]);
    expect(external).toEqual([]);

    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForSelector('form#login');
    expect(await page.locator('#app-sign-in h2').textContent()).toBe('Sign in with the VNeID app');
    expect(await page.textContent('#app-sign-in')).toContain('The code works once, for 2 minutes.');
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/dinhdanh-qr-sign-in-en.png`, fullPage: true });
    await context.close();
  });

  it('keeps the same code while it lasts when the page comes again (a wrong password), so a scan in progress still counts', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid personal_id' });
    await page.goto(request.url.href);
    const first = await scannedText(page);
    const scanned = await phone.request('POST', '/app/qr-sign-ins', { qr: first });
    await page.locator('form#login input[name="username"]').fill(an.personalId);
    await page.locator('form#login input[name="password"]').fill('not-the-password');
    await page.locator('form#login [type="submit"]').click();
    await page.waitForSelector('#login-error');
    expect(await scannedText(page)).toBe(first);
    expect(await page.textContent('#qr-status')).toBe('Đã quét mã. Hãy xác nhận đăng nhập trên ứng dụng VNeID.');
    await phone.request('POST', `/app/qr-sign-ins/${scanned.body.request_id}/approve`, { user_verification: 'pin' });
    await page.waitForSelector('form#consent', { timeout: 20_000 });
    await context.close();
  });

  it('after two minutes the code expires and the page offers a new one', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri });
    await page.goto(request.url.href);
    const first = await scannedText(page);
    clock.advance(121);
    await page.waitForSelector('#qr-expired:not([hidden])');
    expect(await page.locator('#qr-code').isHidden()).toBe(true);
    // Said in the live region a screen reader follows, not only in the part that appears.
    expect(await page.getByRole('status').filter({ hasText: 'Mã QR đã hết hạn.' }).getAttribute('id')).toBe('qr-status');
    await page.getByRole('link', { name: 'Lấy mã mới' }).click();
    await page.waitForSelector('#qr-code');
    expect(await scannedText(page)).not.toBe(first);
    // The password form is still there, untouched by the code's comings and goings.
    expect(await page.locator('form#login').count()).toBe(1);
    await context.close();
  });

  it('without JavaScript, the waiting page refreshes itself and says when the code expired', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri });
    await page.goto(request.url.href);
    await page.locator('form#qr-continue button').click();
    await page.waitForURL(/\/qr\??$/);
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('3');
    expect(await page.textContent('#qr-status')).toBe('Đang chờ bạn quét mã bằng ứng dụng VNeID.');
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/dinhdanh-qr-waiting.png`, fullPage: true });
    clock.advance(121);
    await page.reload();
    expect(await page.textContent('#qr-status')).toBe('Mã QR đã hết hạn.');
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    await page.locator('#qr-new-code').click();
    await page.waitForSelector('form#login');
    expect(await scannedText(page)).toMatch(/\/app\/qr\//);
    await context.close();
  });
});


/** The app scans the page's code: what it is shown. */
async function scan(device: Device, page: Page) {
  return device.request('POST', '/app/qr-sign-ins', { qr: await scannedText(page) });
}

async function atService(page: Page) {
  await page.waitForURL((url) => url.href.startsWith(redirectUri), { timeout: 20_000 });
  return page.url();
}

describe('QR sign-in: approving and denying in the app', () => {
  it('shows the app who asks for what; an approval with the PIN signs the browser in at level 2, and the approval is never used again', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid profile personal_id address', acr_values: 'urn:vn:eid:loa:2' });
    await page.goto(request.url.href);

    const scanned = await scan(phone, page);
    expect(scanned.status).toBe(200);
    expect(scanned.body).toMatchObject({
      status: 'scanned',
      service: { client_id: CLIENT.client_id, name: 'Cổng Dịch vụ công', domain: new URL(redirectUri).host, organisation: { name: 'Văn phòng Chính phủ', domain: 'dichvucong.gov.vn' } },
      level: { requested: 'urn:vn:eid:loa:2', result: 'urn:vn:eid:loa:2' },
    });
    expect(scanned.body.data).toEqual(expect.arrayContaining(['name', 'birthdate', 'personal_id', 'address']));
    expect(scanned.body.labels.vi).toEqual(expect.arrayContaining(['Họ và tên', 'Số định danh cá nhân']));
    expect(scanned.body.expires_in).toBeGreaterThan(100);
    // The page notices the scan by itself.
    await expect.poll(() => page.textContent('#qr-status'), { timeout: 10_000 }).toBe('Đã quét mã. Hãy xác nhận đăng nhập trên ứng dụng VNeID.');

    const approved = await phone.request('POST', `/app/qr-sign-ins/${scanned.body.request_id}/approve`, { user_verification: 'pin' });
    expect(approved).toEqual({ status: 200, body: { status: 'approved' } });
    // Consent as after a password: the citizen still chooses what the service receives.
    await page.waitForSelector('form#consent', { timeout: 20_000 });
    await page.locator('form#consent button[name="decision"][value="approve"]').click();
    const tokens = await redeem(rp, request, await atService(page));
    expect(tokens.claims()).toMatchObject({ acr: 'urn:vn:eid:loa:2', amr: ['hwk', 'pin', 'mfa'] });
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ personal_id: an.personalId, name: 'Nguyễn Văn An' });
    expect(userinfo.address).toMatchObject({ country: 'VN' });

    // Once decided, always decided: neither the app nor the browser can use this code again.
    expect(await phone.request('POST', `/app/qr-sign-ins/${scanned.body.request_id}/approve`, { user_verification: 'pin' })).toMatchObject({ status: 409, body: { error: 'already_decided' } });
    expect(await phone.request('POST', '/app/qr-sign-ins', { qr: `${provider.url}/app/qr/${scanned.body.request_id}` })).toMatchObject({ status: 409, body: { error: 'already_decided' } });
    await context.close();
  });

  it('a denial in the app ends the sign-in: the service receives access_denied', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri });
    await page.goto(request.url.href);
    const scanned = await scan(phone, page);
    expect(await phone.request('POST', `/app/qr-sign-ins/${scanned.body.request_id}/deny`)).toEqual({ status: 200, body: { status: 'denied' } });
    const callback = await atService(page);
    const refused = await redeem(rp, request, callback).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(oidc.AuthorizationResponseError);
    expect((refused as oidc.AuthorizationResponseError).error).toBe('access_denied');
    expect((refused as oidc.AuthorizationResponseError).error_description).toBe('the citizen declined the sign-in in the e-ID app');
    await context.close();
  });

  it('an expired code is refused to the app, and the new code the page offers works (biometric)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid personal_id' });
    await page.goto(request.url.href);
    const stale = await scannedText(page);
    clock.advance(121);
    expect(await phone.request('POST', '/app/qr-sign-ins', { qr: stale })).toMatchObject({ status: 410, body: { error: 'expired_request' } });
    await page.getByRole('link', { name: 'Lấy mã mới' }).click();
    await page.waitForSelector('#qr-code');
    const fresh = await scan(phone, page);
    expect(fresh.status).toBe(200);
    await phone.request('POST', `/app/qr-sign-ins/${fresh.body.request_id}/approve`, { user_verification: 'biometric' });
    await page.waitForSelector('form#consent', { timeout: 20_000 });
    await page.locator('form#consent button[name="decision"][value="approve"]').click();
    const tokens = await redeem(rp, request, await atService(page));
    expect(tokens.claims()).toMatchObject({ acr: 'urn:vn:eid:loa:2', amr: ['hwk', 'fpt', 'mfa'] });
    await context.close();
  });

  it('a second device scanning the same code is refused, and cannot decide it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid personal_id' });
    await page.goto(request.url.href);
    const first = await scan(phone, page);
    expect(first.status).toBe(200);
    for (const other of [secondPhone, otherCitizensPhone]) {
      expect(await scan(other, page)).toMatchObject({ status: 409, body: { error: 'already_scanned' } });
      expect(await other.request('POST', `/app/qr-sign-ins/${first.body.request_id}/approve`, { user_verification: 'pin' })).toMatchObject({ status: 404, body: { error: 'unknown_request' } });
    }
    await phone.request('POST', `/app/qr-sign-ins/${first.body.request_id}/approve`, { user_verification: 'pin' });
    await page.waitForSelector('form#consent', { timeout: 20_000 });
    await page.locator('form#consent button[name="decision"][value="approve"]').click();
    const tokens = await redeem(rp, request, await atService(page));
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    // Signed in as the citizen whose device approved, not as whoever scanned second.
    expect(userinfo.personal_id).toBe(an.personalId);
    await context.close();
  });

  it('works without JavaScript: the waiting page refreshes itself and goes on once the app approved', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid personal_id' });
    await page.goto(request.url.href);
    const scanned = await scan(phone, page);
    await page.locator('form#qr-continue button').click();
    await page.waitForURL(/\/qr\??$/);
    expect(await page.textContent('#qr-status')).toBe('Đã quét mã. Hãy xác nhận đăng nhập trên ứng dụng VNeID.');
    await phone.request('POST', `/app/qr-sign-ins/${scanned.body.request_id}/approve`, { user_verification: 'pin' });
    // The meta refresh brings the page to consent without a click.
    await page.waitForSelector('form#consent', { timeout: 20_000 });
    await page.locator('form#consent button[name="decision"][value="approve"]').click();
    expect((await redeem(rp, request, await atService(page))).claims()?.acr).toBe('urn:vn:eid:loa:2');
    await context.close();
  });
});

describe('QR sign-in through the sandbox app simulator', () => {
  /** A developer enrols a simulated phone for a persona in /sandbox/app and opens its QR panel. */
  async function simulatedPhone(page: Page, deviceName: string) {
    await page.goto(`${provider.url}/sandbox/app`);
    await page.selectOption('#personal_id', an.personalId);
    await page.fill('#device_name', deviceName);
    await page.click('#simulator-enrol button[type="submit"]');
    await page.waitForURL(/\/sandbox\/app\/devices\//);
    await page.getByRole('link', { name: 'Đăng nhập bằng mã QR' }).click();
    await page.waitForSelector('form#qr-scan');
  }

  it('scans the pasted code, shows what the service asks for, and an approval there lets the sign-in page go on', async () => {
    const context = await browser.newContext();
    const signIn = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid profile address', acr_values: 'urn:vn:eid:loa:2' });
    await signIn.goto(request.url.href);
    const simulator = await context.newPage();
    await simulatedPhone(simulator, 'Điện thoại mô phỏng');

    await simulator.fill('#qr-text', await scannedText(signIn));
    await simulator.click('form#qr-scan button[type="submit"]');
    await simulator.waitForSelector('#qr-request');
    const shown = await simulator.textContent('#qr-request');
    for (const text of ['Cổng Dịch vụ công', 'Văn phòng Chính phủ (dichvucong.gov.vn)', new URL(redirectUri).host, 'urn:vn:eid:loa:2', 'Họ và tên', 'Địa chỉ thường trú']) expect(shown).toContain(text);
    await simulator.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/dinhdanh-simulator-qr.png`, fullPage: true });
    await simulator.check('input[name="user_verification"][value="biometric"]');
    await simulator.click('form#qr-decide button[value="approve"]');
    await simulator.waitForSelector('#qr-decided');

    await signIn.waitForSelector('form#consent', { timeout: 20_000 });
    await signIn.locator('form#consent button[name="decision"][value="approve"]').click();
    const tokens = await redeem(rp, request, await atService(signIn));
    expect(tokens.claims()).toMatchObject({ acr: 'urn:vn:eid:loa:2', amr: ['hwk', 'fpt', 'mfa'] });
    await context.close();
  });

  it('lists the codes sandbox sign-in pages show; a denial from the panel reaches the sandbox client as access_denied', async () => {
    const context = await browser.newContext();
    const sandboxRp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
    const signIn = await context.newPage();
    const request = await authorizationRequest(sandboxRp);
    await signIn.goto(request.url.href);
    const code = (await scannedText(signIn)).split('/').pop()!;
    const simulator = await context.newPage();
    await simulatedPhone(simulator, 'Điện thoại mô phỏng 2');

    const listed = simulator.locator('ul.codes li', { hasText: code });
    expect(await listed.textContent()).toContain('Sandbox');
    await listed.getByRole('button').click();
    await simulator.waitForSelector('#qr-request');
    // The sandbox client returns to localhost:8080, where nothing listens in a test: where the browser goes is enough.
    const back = signIn.waitForRequest((sent) => sent.url().startsWith(REDIRECT_URI), { timeout: 20_000 });
    await simulator.click('form#qr-decide button[value="deny"]');
    expect(await simulator.textContent('#qr-decided')).toContain('access_denied');

    const refused = await redeem(sandboxRp, request, (await back).url()).catch((error: unknown) => error);
    expect((refused as oidc.AuthorizationResponseError).error).toBe('access_denied');
    await context.close();
  });
});
