// The app's side of sharing (issue 10 items 4 and 6): POST /app/sharings with a Device-Proof issues a credential
// bound to that device; the app's presentation is drawn as a QR code; bad input answers JSON and changes nothing;
// removing the device or revoking the account stops new sharings and the ones not yet shown.
import { Validator, type SpecData } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { presentCredential } from '../../src/sharing/presentation.ts';
import { enrolDevice, generateDeviceKey, signProof, smsCode } from '../helpers/app-device.ts';
import { verifyJson } from '../helpers/counter.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';

const suite = sandboxProviderForSuite({ env: { OTP_MAX_CODES_PER_DAY: '100' } });
const citizen = (id: string) => SANDBOX_CITIZENS.find((c) => c.personalId === id)!;
const an = citizen('001090012345');
const em = citizen('092075001122');
const cuong = citizen('048201004567');

const enrol = (who: typeof an) => enrolDevice(suite.provider, { personalId: who.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, who.phone) });
const sharingsCount = async () => Number((await suite.provider.database.db.selectFrom('sharings').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('POST /app/sharings', () => {
  it('issues a credential bound to the device; the app\'s presentation is drawn as an inline SVG QR code and verifies once', async () => {
    const phone = await enrol(an);
    const created = await phone.request('POST', '/app/sharings', { attributes: ['name', 'birthdate', 'personal_id'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ attributes: ['name', 'birthdate', 'personal_id'], expires_in: 300, key_binding: { aud: 'urn:vn:eid:counter', nonce: created.body.sharing_id } });
    const presentation = await presentCredential(created.body.credential, phone.key.privateJwk, { now: new Date(), show: ['name', 'birthdate'] });
    const qr = await phone.request('POST', `/app/sharings/${created.body.sharing_id}/qr`, { presentation });
    expect(qr.status).toBe(200);
    expect(qr.body.svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*viewBox/);
    // Drawing it did not use it up: the counter's check is the one use.
    const counter = await verifyJson(suite.provider.url, presentation);
    expect(counter.status).toBe(200);
    expect(Object.keys(counter.body.claims).sort()).toEqual(['birthdate', 'name']);
    expect((await verifyJson(suite.provider.url, presentation)).body.reason).toBe('replayed');
    const again = await phone.request('POST', `/app/sharings/${created.body.sharing_id}/qr`, { presentation });
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_presentation', reason: 'replayed' } });
  });

  it('refuses a presentation another key signed, and another device\'s sharing, as the counter would', async () => {
    const phone = await enrol(an);
    const other = await enrol(cuong);
    const created = await phone.request('POST', '/app/sharings', { attributes: ['name'] });
    const stolen = await presentCredential(created.body.credential, (await generateDeviceKey()).privateJwk, { now: new Date() });
    expect(await phone.request('POST', `/app/sharings/${created.body.sharing_id}/qr`, { presentation: stolen })).toMatchObject({ status: 400, body: { reason: 'key_binding' } });
    const real = await presentCredential(created.body.credential, phone.key.privateJwk, { now: new Date() });
    expect(await other.request('POST', `/app/sharings/${created.body.sharing_id}/qr`, { presentation: real })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await verifyJson(suite.provider.url, stolen)).body.reason).toBe('key_binding');
  });

  it('answers bad input with a JSON error and issues nothing', async () => {
    const phone = await enrol(cuong);
    const before = await sharingsCount();
    for (const body of [{}, { attributes: [] }, { attributes: ['password_hash'] }, { attributes: ['name', 'name'] }, { attributes: 'name' }, { attributes: ['name'], extra: 1 }]) {
      const answer = await phone.request('POST', '/app/sharings', body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
    }
    const unsigned = await fetch(`${suite.provider.url}/app/sharings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ attributes: ['name'] }) });
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: string }).error).toBe('invalid_device_proof');
    expect(await phone.request('POST', '/app/sharings/not-a-sharing-id-at-all/qr', { presentation: 'x~' })).toMatchObject({ status: 404 });
    expect(await phone.request('POST', '/app/sharings/!!/qr', { presentation: 'x~' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    // Võ Minh Em's record has no residence or ID card details: nothing is issued rather than a credential lacking them.
    const emPhone = await enrol(em);
    expect(await emPhone.request('POST', '/app/sharings', { attributes: ['name', 'address', 'id_card'] })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: 'nothing on record to share for: address, id_card' },
    });
    expect(await sharingsCount()).toBe(before);
  });

  it('issues nothing for a replayed proof, a proof over another body, or one signed by another key', async () => {
    const phone = await enrol(an);
    const before = await sharingsCount();
    const body = JSON.stringify({ attributes: ['name'] });
    const url = `${suite.provider.url}/app/sharings`;
    const send = (proof: string, raw = body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'device-proof': proof }, body: raw });
    const proof = await signProof(phone.key.privateJwk, { deviceId: phone.deviceId, method: 'POST', url, rawBody: body });
    expect((await send(proof)).status).toBe(201);
    const replayed = await send(proof);
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: string }).error).toBe('invalid_device_proof');
    const swapped = await signProof(phone.key.privateJwk, { deviceId: phone.deviceId, method: 'POST', url, rawBody: body });
    expect((await send(swapped, JSON.stringify({ attributes: ['name', 'personal_id', 'address'] }))).status).toBe(401);
    const forged = await signProof((await generateDeviceKey()).privateJwk, { deviceId: phone.deviceId, method: 'POST', url, rawBody: body });
    expect((await send(forged)).status).toBe(401);
    expect(await sharingsCount()).toBe(before + 1);
  });

  it('stops at once when the device is removed: no new sharing, and its unshown ones are refused at the counter', async () => {
    const phone = await enrol(em);
    const created = await phone.request('POST', '/app/sharings', { attributes: ['name'] });
    const presentation = await presentCredential(created.body.credential, phone.key.privateJwk, { now: new Date() });
    expect((await phone.request('DELETE', `/app/devices/${phone.deviceId}`)).status).toBe(204);
    expect(await phone.request('POST', '/app/sharings', { attributes: ['name'] })).toMatchObject({ status: 401, body: { error: 'invalid_device_proof' } });
    expect((await verifyJson(suite.provider.url, presentation)).body).toMatchObject({ error: 'invalid_presentation', reason: 'revoked' });
  });

  it('stops at once when an officer revokes the account', async () => {
    const phone = await enrol(em);
    const created = await phone.request('POST', '/app/sharings', { attributes: ['birthdate'] });
    const presentation = await presentCredential(created.body.credential, phone.key.privateJwk, { now: new Date() });
    const accountId = (await suite.provider.database.db.selectFrom('accounts').select('id').where('personal_id', '=', em.personalId).executeTakeFirstOrThrow()).id;
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    expect((await supervisor.call('POST', `/admin/accounts/${accountId}/revoke`, { reason: 'thử nghiệm thu hồi' })).status).toBe(200);
    expect(await phone.request('POST', '/app/sharings', { attributes: ['name'] })).toMatchObject({ status: 401, body: { error: 'invalid_device_proof' } });
    expect((await verifyJson(suite.provider.url, presentation)).body.reason).toBe('revoked');
  });

  it('stops while an officer\'s lock holds, and works again once lifted', async () => {
    const phone = await enrol(cuong);
    const created = await phone.request('POST', '/app/sharings', { attributes: ['name'] });
    const presentation = await presentCredential(created.body.credential, phone.key.privateJwk, { now: new Date() });
    const accountId = (await suite.provider.database.db.selectFrom('accounts').select('id').where('personal_id', '=', cuong.personalId).executeTakeFirstOrThrow()).id;
    const supervisor = await officerClient(suite.provider.url, 'giamsat');
    expect((await supervisor.call('POST', `/admin/accounts/${accountId}/lock`, { reason: 'thử nghiệm khóa' })).status).toBe(200);
    expect(await phone.request('POST', '/app/sharings', { attributes: ['name'] })).toMatchObject({ status: 401, body: { error: 'invalid_device_proof' } });
    expect((await verifyJson(suite.provider.url, presentation)).body.reason).toBe('revoked');
    expect((await supervisor.call('POST', `/admin/accounts/${accountId}/unlock`, {})).status).toBe(200);
    expect((await phone.request('POST', '/app/sharings', { attributes: ['name'] })).status).toBe(201);
  });

  it('is documented in /app/openapi.json, which stays valid OpenAPI 3.1', async () => {
    const document = (await (await fetch(`${suite.provider.url}/app/openapi.json`)).json()) as any;
    expect((await new Validator().validate(document as SpecData)).valid).toBe(true);
    expect(document.paths['/app/sharings'].post.requestBody.content['application/json'].schema.properties.attributes.items.enum).toContain('age_over_18');
    expect(Object.keys(document.paths['/app/sharings/{id}/qr'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
  });
});
