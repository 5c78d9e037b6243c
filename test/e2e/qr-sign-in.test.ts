// QR sign-in in a real browser (Chromium through playwright-core): the citizen scans the sign-in page's code
// with the e-ID app (played through the real /app API), approves or denies, and the browser goes on by itself.
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClock } from '../helpers/clock.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { freePort, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CLIENT = { client_id: 'cong-dich-vu', client_secret: 'cong-dich-vu-secret-0123456789', client_name: 'Cổng Dịch vụ công' };

const clock = testClock();
let testDb: TestDatabase;
let provider: RunningProvider;
let browser: Browser;
let callbackServer: Server;
let redirectUri: string;
let rp: oidc.Configuration;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb, { clock: clock.now });
  const port = await freePort();
  redirectUri = `http://127.0.0.1:${port}/callback`;
  callbackServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><title>RP</title><p>back at the service</p>'));
  await new Promise<void>((resolve) => callbackServer.listen(port, '127.0.0.1', resolve));
  await provider.addClient({
    ...CLIENT,
    redirect_uris: [redirectUri],
    scope: 'openid profile personal_id phone email address',
    assurance_level: 2,
    organisation_name: 'Văn phòng Chính phủ',
    organisation_domain: 'dichvucong.gov.vn',
  });
  rp = await relyingParty(provider.url, CLIENT.client_id, CLIENT.client_secret);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => callbackServer?.close(resolve));
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

  it('after two minutes the code expires and the page offers a new one', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const request = await authorizationRequest(rp, { redirect_uri: redirectUri });
    await page.goto(request.url.href);
    const first = await scannedText(page);
    clock.advance(121);
    await page.waitForSelector('#qr-expired:not([hidden])');
    expect(await page.locator('#qr-code').isHidden()).toBe(true);
    expect(await page.textContent('#qr-expired')).toContain('Mã QR đã hết hạn.');
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

export { redeem };
