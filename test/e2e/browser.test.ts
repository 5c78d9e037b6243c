// A citizen in a real browser (Debian's Chromium through playwright-core) signs in to a relying party and consents.
import type { Browser, Page } from 'playwright-core';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { enrolDevice, smsCode } from '../helpers/app-device.ts';
import { launchChromium, relyingPartyCallback, type CallbackPage } from '../helpers/browser.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';

const an = SANDBOX_CITIZENS[0]!;
const CLIENT = { client_id: 'cong-dich-vu', client_secret: 'cong-dich-vu-secret-0123456789', client_name: 'Cổng Dịch vụ công' };

let testDb: TestDatabase;
let provider: RunningProvider;
let browser: Browser;
let callback: CallbackPage;
let redirectUri: string;
let rp: oidc.Configuration;
/** Bodies of form posts the relying party's callback received (response_mode=form_post). */
let posted: string[];

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb);
  // The relying party's callback: a page the browser lands on, whose URL carries the code.
  callback = await relyingPartyCallback();
  ({ redirectUri, posted } = callback);
  await provider.addClient({ ...CLIENT, redirect_uris: [redirectUri], scope: 'openid profile personal_id phone email address', assurance_level: 2 });
  rp = await relyingParty(provider.url, CLIENT.client_id, CLIENT.client_secret);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await callback?.close();
  await provider?.close();
  await testDb?.drop();
});

async function signIn(page: Page, password: string) {
  await page.getByLabel(/Số định danh cá nhân|Personal identification number/).fill(an.personalId);
  await page.locator('form#login input[name="password"]').fill(password);
  await page.locator('form#login [type="submit"]').click();
}

async function finishAt(page: Page, request: Awaited<ReturnType<typeof authorizationRequest>>) {
  await page.waitForURL((url) => url.href.startsWith(redirectUri));
  return redeem(rp, request, page.url());
}

describe('sign-in and consent in a browser', () => {
  it('works in Vietnamese by default, with every page contract element present', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid profile personal_id' });
    await page.goto(request.url.href);

    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    await expect.poll(() => page.locator('h1').textContent()).toContain('Đăng nhập');
    expect(await page.locator('form#login').textContent()).toContain('Số định danh cá nhân');
    expect(await page.textContent('main')).toContain('Cổng Dịch vụ công');
    // Every input a person fills has a label pointing at it.
    for (const name of ['username', 'password']) {
      const id = await page.locator(`form#login input[name="${name}"]`).getAttribute('id');
      expect(await page.locator(`label[for="${id}"]`).count()).toBe(1);
    }

    // A wrong password: a clear message in Vietnamese, the ID number kept, the flow intact.
    await signIn(page, 'sai-mat-khau');
    await expect.poll(() => page.locator('[role="alert"]').textContent()).toBe('Số định danh cá nhân hoặc mật khẩu không đúng.');
    expect(await page.inputValue('form#login input[name="username"]')).toBe(an.personalId);
    // The password field says it is wrong and why: a screen reader on the field hears the alert.
    const password = page.locator('#password');
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    expect(await password.evaluate((el) => (el.getAttribute('aria-describedby') ?? '').split(' ').map((id: string) => el.ownerDocument.getElementById(id)?.textContent).join(' ')))
      .toContain('Số định danh cá nhân hoặc mật khẩu không đúng.');
    expect(await page.locator('#username').getAttribute('aria-invalid')).toBeNull();

    await signIn(page, SANDBOX_PASSWORD);
    await page.waitForSelector('form#consent');
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    const consentText = await page.textContent('main');
    expect(consentText).toContain('Cổng Dịch vụ công muốn nhận các thông tin sau của bạn');
    for (const label of ['Họ và tên', 'Ngày sinh', 'Giới tính', 'Số định danh cá nhân']) expect(consentText).toContain(label);
    expect(consentText).not.toContain('Số điện thoại');
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/dinhdanh-consent-vi.png` });

    await page.locator('form#consent button[name="decision"][value="approve"]').click();
    const tokens = await finishAt(page, request);
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo).toMatchObject({ name: 'Nguyễn Văn An', personal_id: an.personalId });
    await context.close();
  });

  it('on /account, each revoke and device button names what it acts on, and the device name field is full width', async () => {
    await enrolDevice(provider, { personalId: an.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(provider, an.phone), deviceName: 'iPhone của An' });
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid profile' });
    await page.goto(request.url.href);
    await signIn(page, SANDBOX_PASSWORD);
    await page.waitForSelector('form#consent');
    await page.locator('form#consent button[name="decision"][value="approve"]').click();
    await finishAt(page, request);
    await page.goto(`${provider.url}/account`);
    await page.waitForSelector('h1');
    // Read by name, as a screen reader lists buttons: one per service and device, never the same name twice.
    expect(await page.getByRole('button', { name: 'Thu hồi quyền truy cập của Cổng Dịch vụ công', exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Đổi tên thiết bị iPhone của An', exact: true }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Gỡ liên kết thiết bị iPhone của An', exact: true }).count()).toBe(1);
    const field = page.getByRole('textbox', { name: 'Tên thiết bị' });
    const [fieldWidth, formWidth] = await field.evaluate((el) => [el.getBoundingClientRect().width, el.closest('form')!.getBoundingClientRect().width]);
    expect(fieldWidth).toBe(formWidth);
    await context.close();
  });

  it('speaks English when the relying party asks with ui_locales', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, ui_locales: 'en-GB vi' });
    await page.goto(request.url.href);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('h1')).toBe('Sign in with your e-ID account');
    await signIn(page, SANDBOX_PASSWORD);
    await page.waitForSelector('form#consent');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('main')).toContain('Full name');
    await page.locator('form#consent button[name="decision"][value="approve"]').click();
    expect((await finishAt(page, request)).claims()?.acr).toBe('urn:vn:eid:loa:1');
    await context.close();
  });

  it('switches language with the visible link without losing the sign-in, and a denial reaches the relying party', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri });
    await page.goto(request.url.href);
    expect(await page.getAttribute('html', 'lang')).toBe('vi');
    const loginUrl = new URL(page.url()).pathname;

    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForSelector('form#login');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(new URL(page.url()).pathname).toBe(loginUrl);
    expect(await page.textContent('h1')).toBe('Sign in with your e-ID account');

    await signIn(page, SANDBOX_PASSWORD);
    await page.waitForSelector('form#consent');
    // The choice is remembered on the next page of the flow.
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/dinhdanh-consent-en.png` });
    await page.locator('form#consent button[name="decision"][value="deny"]').click();
    await page.waitForURL((url) => url.href.startsWith(redirectUri));
    const result = new URL(page.url()).searchParams;
    expect(result.get('error')).toBe('access_denied');
    expect(result.get('state')).toBe(request.state);
    await context.close();
  });

  it('takes a level-2 account to level 2 with the SMS code, and the address comes with it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, scope: 'openid profile address', acr_values: 'urn:vn:eid:loa:2' });
    await page.goto(request.url.href);
    await signIn(page, SANDBOX_PASSWORD);
    await page.waitForSelector('form#otp');
    expect(await page.textContent('main')).toContain('+84 •••• ••678');
    const code = /là (\d{6}),/.exec((await provider.lastSms(an.phone)) ?? '')![1]!;
    await page.getByLabel('Mã xác thực').fill(code);
    await page.locator('form#otp [type="submit"]').click();
    await page.waitForSelector('form#consent');
    expect(await page.textContent('main')).toContain('Thông tin mức độ 2');
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/dinhdanh-consent-level2.png` });
    await page.locator('form#consent button[name="decision"][value="approve"]').click();
    const tokens = await finishAt(page, request);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:vn:eid:loa:2', amr: ['pwd', 'otp', 'sms'] });
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.address).toMatchObject({ region: 'Hà Nội', country: 'VN' });
    await context.close();
  });

  it('delivers the code by response_mode=form_post: the auto-submitting page is allowed to run', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri, response_mode: 'form_post' });
    await page.goto(request.url.href);
    await signIn(page, SANDBOX_PASSWORD);
    await page.waitForSelector('form#consent');
    const before = posted.length;
    await page.locator('form#consent button[name="decision"][value="approve"]').click();
    await expect.poll(() => posted.length, { timeout: 10_000 }).toBe(before + 1);
    const body = new URLSearchParams(posted.at(-1)!);
    expect(body.get('state')).toBe(request.state);
    // The relying party redeems the posted response as openid-client does for form_post.
    const callback = new Request(redirectUri, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    expect(tokens.claims()?.acr).toBe('urn:vn:eid:loa:1');
    await context.close();
  });
});
