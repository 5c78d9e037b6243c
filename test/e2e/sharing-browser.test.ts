// Sharing at a counter in a real browser, without a phone: the app simulator makes the QR code for the chosen
// attributes; the counter pastes or uploads its text on /verify and sees exactly those, once.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let testDb: TestDatabase;
let provider: RunningProvider;
let browser: Browser;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});
afterAll(async () => {
  await browser?.close();
  await provider?.close();
  await testDb?.drop();
});

describe('sharing in the browser', () => {
  it('makes a QR code in the simulator and verifies its text on /verify, pasted then uploaded', async () => {
    const page = await browser.newPage({ javaScriptEnabled: false });
    await page.goto(`${provider.url}/sandbox/app`);
    await page.selectOption('#personal_id', '001090012345');
    await page.click('form#simulator-enrol button[type=submit]');
    await page.click('a[href^="/sandbox/app/sharing"]');
    await page.uncheck('#attr-birthdate');
    await page.check('#attr-address');
    await page.check('#attr-id_card');
    await page.click('form#share button[type=submit]');
    const qr = page.locator('#sharing-qr svg');
    await expect.poll(async () => (await qr.boundingBox())?.width ?? 0).toBeGreaterThan(200);
    const text = await page.inputValue('#presentation');
    await page.screenshot({ path: join(tmpdir(), 'sharing-simulator.png'), fullPage: true });

    await page.goto(`${provider.url}/verify?lang=en`);
    await page.fill('#presentation', text);
    await page.click('form#verify button[type=submit]');
    const result = page.locator('#verify-result');
    expect(await result.getAttribute('data-result')).toBe('verified');
    expect(await page.textContent('dd[data-claim="name"]')).toBe('Nguyễn Văn An');
    expect(await page.textContent('dd[data-claim="address"]')).toContain('Số 12 ngõ 34 phố Hàng Bông');
    expect(await page.textContent('dd[data-claim="id_card"]')).toContain('No. 001090012345');
    expect(await page.locator('dd[data-claim="birthdate"]').count()).toBe(0);
    await page.screenshot({ path: join(tmpdir(), 'sharing-verified.png'), fullPage: true });

    // The same code again, as a file: refused, used once already.
    const file = join(tmpdir(), `scan-${Date.now()}.txt`);
    writeFileSync(file, text);
    await page.goto(`${provider.url}/verify`);
    await page.setInputFiles('#file', file);
    await page.click('form#verify button[type=submit]');
    expect(await page.locator('#verify-result').getAttribute('data-reason')).toBe('replayed');
    expect(await page.textContent('#verify-result')).toContain('Mã này đã được kiểm tra một lần rồi');
    await page.close();
  });
});
