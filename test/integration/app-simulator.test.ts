// The sandbox app simulator plays the e-ID app for a level-2 persona through the real /app API: it enrols a device
// (reading the SMS code from the sandbox inbox itself), lists it, lets other panels use it, and removes it.
import { describe, expect, it } from 'vitest';
import { simulatedDevice } from '../../src/sandbox/app-simulator.ts';
import { SANDBOX_CITIZENS } from '../../src/sandbox/seed.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startProvider } from '../helpers/provider.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, UserAgent } from '../helpers/user-agent.ts';

const suite = sandboxProviderForSuite();
const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;
const binh = SANDBOX_CITIZENS.find((c) => c.level === 1 && !c.locked)!;
const deps = () => ({ db: suite.provider.database.db, app: suite.provider.app, issuer: suite.provider.url, now: () => new Date() });

async function simulatorPage(agent: UserAgent, query = '') {
  const page = await agent.follow(`${suite.provider.url}/sandbox/app${query}`, suite.provider.url);
  expect(page.page?.status).toBe(200);
  return page.page!.html;
}

describe('/sandbox/app', () => {
  it('enrols a simulated device for a level-2 persona, shows it, and other panels can play it', async () => {
    const agent = new UserAgent();
    const html = await simulatorPage(agent);
    expect(html).toContain('Trình mô phỏng ứng dụng định danh điện tử');
    expect(html).toContain(`value="${an.personalId}"`);
    expect(html).not.toContain(`value="${binh.personalId}"`);

    const enrolled = await agent.follow(`${suite.provider.url}/sandbox/app/enrol`, suite.provider.url, { form: { _csrf: csrfToken(html), personal_id: an.personalId, device_name: 'Điện thoại mô phỏng của An' } });
    expect(enrolled.page?.status).toBe(200);
    expect(enrolled.page?.html).toContain('Đã liên kết thiết bị mô phỏng Điện thoại mô phỏng của An.');
    expect(enrolled.page?.html).toContain('Công dân: Nguyễn Văn An (mức độ 2)');
    const deviceId = /<code id="device-id">([\w-]+)<\/code>/.exec(enrolled.page!.html)![1]!;

    const listed = await simulatorPage(agent, '?lang=en');
    expect(listed).toContain('e-ID app simulator');
    expect(listed).toContain(`<li data-device="${deviceId}"><a href="/sandbox/app/devices/${deviceId}">Điện thoại mô phỏng của An</a> <span class="badge">simulated</span>`);

    const device = await simulatedDevice(deps(), deviceId);
    const me = await device!.request('GET', '/app/devices/me');
    expect(me).toMatchObject({ status: 200, body: { device: { id: deviceId }, citizen: { name: 'Nguyễn Văn An' } } });
    // The citizen sees the simulated device on /account like any other: it is a real binding.
    const held = await suite.provider.database.db.selectFrom('app_devices').select('account_id').where('id', '=', deviceId).executeTakeFirstOrThrow();
    expect(held.account_id).toBeTruthy();
  });

  it('removes a simulated device through the API: its requests are refused and its key is dropped', async () => {
    const agent = new UserAgent();
    const html = await simulatorPage(agent);
    const enrolled = await agent.follow(`${suite.provider.url}/sandbox/app/enrol`, suite.provider.url, { form: { _csrf: csrfToken(html), personal_id: an.personalId, device_name: 'Tạm thời' } });
    const page = enrolled.page!.html;
    const deviceId = /<code id="device-id">([\w-]+)<\/code>/.exec(page)![1]!;
    const device = (await simulatedDevice(deps(), deviceId))!;
    const removed = await agent.follow(`${suite.provider.url}/sandbox/app/devices/${deviceId}/remove`, suite.provider.url, { form: { _csrf: csrfToken(page) } });
    expect(removed.page?.html).toContain('Đã gỡ liên kết thiết bị.');
    expect((await device.request('GET', '/app/devices/me')).status).toBe(401);
    expect(await simulatedDevice(deps(), deviceId)).toBeUndefined();
    expect((await agent.follow(`${suite.provider.url}/sandbox/app/devices/${deviceId}`, suite.provider.url)).page?.status).toBe(404);
  });

  it('refuses a citizen who is not a level-2 persona, and a form without its CSRF token', async () => {
    const agent = new UserAgent();
    const html = await simulatorPage(agent);
    const refused = await agent.follow(`${suite.provider.url}/sandbox/app/enrol`, suite.provider.url, { form: { _csrf: csrfToken(html), personal_id: binh.personalId, device_name: 'X' } });
    expect(refused.page?.status).toBe(400);
    expect(refused.page?.html).toContain('not_a_persona');
    const forged = await agent.request(`${suite.provider.url}/sandbox/app/enrol`, { form: { _csrf: 'forged', personal_id: an.personalId } });
    expect(forged.status).toBe(403);
  });

  it('does not exist when the sandbox is off', async () => {
    const testDb = await createTestDatabase();
    const provider = await startProvider(testDb, { env: { SEED_SANDBOX: 'false' } });
    try {
      expect((await fetch(`${provider.url}/sandbox/app`)).status).toBe(404);
      expect((await fetch(`${provider.url}/sandbox/app/enrol`, { method: 'POST' })).status).toBe(404);
    } finally {
      await provider.close();
      await testDb.drop();
    }
  });
});
