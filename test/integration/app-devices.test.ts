// The e-ID app's device binding: a level-2 citizen enrols a phone (password, SMS code, device key) and the app's
// later requests, each signed with a fresh proof, are answered for that citizen; others are refused.
import { Validator, type SpecData } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { ENGINE, type TestDatabase } from '../helpers/database.ts';
import { startProvider } from '../helpers/provider.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { enrolDevice, EnrolmentError, signProof, smsCode } from '../helpers/app-device.ts';

const suite = sandboxProviderForSuite();
const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;
const binh = SANDBOX_CITIZENS.find((c) => c.level === 1 && !c.locked)!;

async function post(path: string, body: unknown) {
  const response = await fetch(`${suite.provider.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('enrolment and signed requests', () => {
  it('binds a device to a level-2 account and answers its signed requests with the citizen', async () => {
    const device = await enrolDevice(suite.provider, { personalId: an.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, an.phone), deviceName: '  iPhone   của An ' });
    // The code came by SMS, and then the notice that a device was bound, naming it.
    expect(await suite.provider.lastSms(an.phone)).toContain('vừa được liên kết với thiết bị "iPhone của An"');
    const inbox = (await (await fetch(`${suite.provider.url}/sandbox/sms.json?phone=${encodeURIComponent(an.phone)}`)).json()) as { messages: Array<{ purpose: string; text: string; live: boolean }> };
    expect(inbox.messages.slice(0, 2).map((m) => m.purpose)).toEqual(['device_bound', 'sign_in_code']);
    expect(inbox.messages[1]!.text).toContain('mã kích hoạt ứng dụng');
    expect(inbox.messages[0]!.live).toBe(false);

    const me = await device.request('GET', '/app/devices/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ device: { id: device.deviceId, name: 'iPhone của An' }, citizen: { name: 'Nguyễn Văn An', level: 2 } });

    const list = await device.request('GET', '/app/devices');
    expect(list.body.devices.map((d: { id: string }) => d.id)).toContain(device.deviceId);
  });

  it('refuses a request without a proof, and a proof used twice', async () => {
    const device = await enrolDevice(suite.provider, { personalId: an.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, an.phone) });
    const bare = await fetch(`${suite.provider.url}/app/devices/me`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ error: 'invalid_device_proof', error_description: expect.stringContaining('Device-Proof header is missing') });

    const proof = await signProof(device.key.privateJwk, { deviceId: device.deviceId, method: 'GET', url: `${suite.provider.url}/app/devices/me` });
    const first = await fetch(`${suite.provider.url}/app/devices/me`, { headers: { 'device-proof': proof } });
    expect(first.status).toBe(200);
    const again = await fetch(`${suite.provider.url}/app/devices/me`, { headers: { 'device-proof': proof } });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error_description: string }).error_description).toContain('already used');
  });

  it('accepts a proof once even when it reaches two instances at the same moment', async () => {
    const device = await enrolDevice(suite.provider, { personalId: an.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, an.phone) });
    const second = await startProvider((suite as unknown as { testDb: TestDatabase }).testDb, { ...(ENGINE === 'pglite' ? { database: suite.provider.database } : {}), env: { ISSUER: suite.provider.url } });
    try {
      for (let round = 0; round < 3; round++) {
        const proof = await signProof(device.key.privateJwk, { deviceId: device.deviceId, method: 'GET', url: `${suite.provider.url}/app/devices/me` });
        const sent = [suite.provider.url, second.url, suite.provider.url, second.url].map((base) => fetch(`${base}/app/devices/me`, { headers: { 'device-proof': proof } }));
        const statuses = (await Promise.all(sent)).map((r) => r.status).sort();
        expect(statuses).toEqual([200, 401, 401, 401]);
      }
    } finally {
      await second.close();
    }
  });

  it('stops a device the app removes at once', async () => {
    const device = await enrolDevice(suite.provider, { personalId: an.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, an.phone) });
    expect((await device.request('DELETE', `/app/devices/${device.deviceId}`)).status).toBe(204);
    const after = await device.request('GET', '/app/devices/me');
    expect(after.status).toBe(401);
    expect(after.body.error_description).toContain('not bound');
  });

  it('answers a wrong password and an unknown number alike, and refuses level 1 after the right password', async () => {
    const wrong = await post('/app/enrolments', { personal_id: an.personalId, password: 'not-the-password' });
    const unknown = await post('/app/enrolments', { personal_id: '001099999999', password: 'not-the-password' });
    expect(wrong).toEqual({ status: 401, body: { error: 'invalid_credentials', error_description: 'the personal ID number or the password is wrong' } });
    expect(unknown).toEqual(wrong);

    const level1 = await enrolDevice(suite.provider, { personalId: binh.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, binh.phone) }).catch((e: unknown) => e);
    expect(level1).toBeInstanceOf(EnrolmentError);
    expect((level1 as EnrolmentError).response).toMatchObject({ status: 403, body: { error: 'level_2_required' } });
    expect(await suite.provider.lastSms(binh.phone)).toBeUndefined();
  });

  it('publishes the app API as OpenAPI', async () => {
    const document = (await (await fetch(`${suite.provider.url}/app/openapi.json`)).json()) as any;
    expect(document.openapi).toBe('3.1.0');
    const validation = await new Validator().validate(document as SpecData);
    expect(validation.valid, JSON.stringify(validation.errors)).toBe(true);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/app/enrolments', '/app/enrolments/{id}/complete', '/app/devices/me', '/app/devices', '/app/devices/{id}']));
    expect(document.paths['/app/enrolments'].post.security).toEqual([]);
    expect(document.security).toEqual([{ deviceProof: [] }]);
    expect(document.components.securitySchemes.deviceProof).toMatchObject({ type: 'apiKey', in: 'header', name: 'Device-Proof' });
  });
});
