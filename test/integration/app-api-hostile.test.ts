// Hostile input at the app API: forged, replayed, stale or misdirected proofs, swapped bodies, bad keys, expired
// enrolments, wrong codes. Each gets a clear JSON error, changes nothing, and is never a 500.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { enrolDevice, generateDeviceKey, signChallenge, signProof, smsCode } from '../helpers/app-device.ts';
import { testClock } from '../helpers/clock.ts';
import { sandboxProviderForSuite } from '../helpers/relying-party.ts';

const clock = testClock();
const suite = sandboxProviderForSuite({ env: { OTP_MAX_CODES_PER_DAY: '100', OTP_MAX_WRONG_PER_DAY: '100' }, clock: clock.now });
const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;
const em = SANDBOX_CITIZENS.find((c) => c.personalId === '092075001122')!;
const cuong = SANDBOX_CITIZENS.find((c) => c.personalId === '048201004567')!;
const binh = SANDBOX_CITIZENS.find((c) => c.level === 1 && !c.locked)!;
const seconds = () => Math.floor(clock.now().getTime() / 1000);
const url = (path: string) => `${suite.provider.url}${path}`;

async function call(method: string, path: string, init: { proof?: string; body?: string } = {}) {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.proof) headers['device-proof'] = init.proof;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url(path), { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  const body = (await response.json()) as { error: string; error_description: string; attempts_left?: number };
  expect(response.status).toBeLessThan(500);
  return { status: response.status, body };
}
const enrol = (who = an) => enrolDevice(suite.provider, { personalId: who.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, who.phone), now: clock.now });
const deviceCount = async () => Number((await suite.provider.database.db.selectFrom('app_devices').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('device proofs', () => {
  it('refuses forged, misdirected, stale and replayed proofs, each with the reason', async () => {
    const device = await enrol();
    const other = await enrol(em);
    const stranger = await generateDeviceKey();
    const me = '/app/devices/me';
    const proof = (overrides: Partial<Parameters<typeof signProof>[1]> = {}, key = device.key.privateJwk) =>
      signProof(key, { deviceId: device.deviceId, method: 'GET', url: url(me), iat: seconds(), ...overrides });
    const cases: Array<[string, Promise<string> | string, string]> = [
      ['forged signature', proof({}, stranger.privateJwk), 'signature does not verify'],
      ['another device\'s kid', proof({ deviceId: other.deviceId }), 'signature does not verify'],
      ['unknown kid', proof({ deviceId: 'x'.repeat(24) }), 'not bound'],
      ['stale iat', proof({ iat: seconds() - 120 }), 'iat'],
      ['future iat', proof({ iat: seconds() + 120 }), 'iat'],
      ['another URL', proof({ url: url('/app/devices') }), 'htu'],
      ['another method', proof({ method: 'POST' }), 'htm'],
      ['not a JWS', 'not-a-proof', 'not a compact JWS'],
      ['unreadable header', 'e30x.e30.c2ln', 'protected header'],
      ['alg none', `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'device-proof+jwt', kid: device.deviceId })).toString('base64url')}.e30.x`, 'alg'],
      ['HS256 with the public key as secret', new SignJWT({ htm: 'GET', htu: url(me), jti: 'j'.repeat(20) }).setProtectedHeader({ alg: 'HS256', typ: 'device-proof+jwt', kid: device.deviceId }).setIssuedAt(seconds()).sign(new TextEncoder().encode(device.key.publicJwk.x!)), 'alg'],
    ];
    for (const [name, made, reason] of cases) {
      const answer = await call('GET', me, { proof: await made });
      expect({ name, status: answer.status, error: answer.body.error }).toEqual({ name, status: 401, error: 'invalid_device_proof' });
      expect(answer.body.error_description, name).toContain(reason);
    }

    const once = await proof({ jti: 'the-same-jti-twice-0001' });
    expect((await call('GET', me, { proof: once })).status).toBe(200);
    const replayed = await call('GET', me, { proof: once });
    expect(replayed.body.error_description).toContain('already used');
    // The same jti in a newly signed proof is still a replay.
    const reused = await call('GET', me, { proof: await proof({ jti: 'the-same-jti-twice-0001', iat: seconds() + 1 }) });
    expect(reused.body.error_description).toContain('already used');
  });

  it('refuses a body that is not the one signed (bsh), and leaves the device as it was', async () => {
    const device = await enrol();
    const path = `/app/devices/${device.deviceId}`;
    const signedFor = JSON.stringify({ name: 'Tên đã ký' });
    const proof = await signProof(device.key.privateJwk, { deviceId: device.deviceId, method: 'PATCH', url: url(path), rawBody: signedFor, iat: seconds() });
    const swapped = await call('PATCH', path, { proof, body: JSON.stringify({ name: 'Tên bị tráo' }) });
    expect(swapped).toMatchObject({ status: 401, body: { error: 'invalid_device_proof', error_description: expect.stringContaining('bsh') } });
    const unsignedBody = await signProof(device.key.privateJwk, { deviceId: device.deviceId, method: 'PATCH', url: url(path), iat: seconds() });
    expect((await call('PATCH', path, { proof: unsignedBody, body: signedFor })).body.error_description).toContain('bsh');
    expect((await device.request('GET', '/app/devices/me')).body.device.name).toBe('Điện thoại thử nghiệm');
    // The genuine request still works: the refused ones used up nothing.
    expect((await call('PATCH', path, { proof, body: signedFor })).status).toBe(200);
    expect((await device.request('GET', '/app/devices/me')).body.device.name).toBe('Tên đã ký');
  });

  it('never touches another citizen\'s device', async () => {
    const mine = await enrol();
    const theirs = await enrol(em);
    const rename = await mine.request('PATCH', `/app/devices/${theirs.deviceId}`, { name: 'Của tôi' });
    expect(rename).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await mine.request('DELETE', `/app/devices/${theirs.deviceId}`)).status).toBe(404);
    expect((await mine.request('GET', '/app/devices')).body.devices.map((d: { id: string }) => d.id)).not.toContain(theirs.deviceId);
    expect((await theirs.request('GET', '/app/devices/me')).body.device.name).toBe('Điện thoại thử nghiệm');
  });
});

describe('a lock from failed password attempts', () => {
  it('guards the password only: the bound device goes on working while it lasts, and enrolling a new one waits', async () => {
    const device = await enrol(cuong);
    for (let i = 0; i < 5; i++) await call('POST', '/app/enrolments', { body: JSON.stringify({ personal_id: cuong.personalId, password: `wrong-${i}` }) });
    expect((await device.request('GET', '/app/devices/me')).status).toBe(200);
    // A new enrolment proves the password, which the lock guards.
    const again = await call('POST', '/app/enrolments', { body: JSON.stringify({ personal_id: cuong.personalId, password: SANDBOX_PASSWORD }) });
    expect(again).toMatchObject({ status: 429, body: { error: 'temporarily_locked' } });
    clock.advance(901);
    expect((await device.request('GET', '/app/devices/me')).status).toBe(200);
  });
});

describe('enrolment', () => {
  async function start(who = an) {
    const started = await call('POST', '/app/enrolments', { body: JSON.stringify({ personal_id: who.personalId, password: SANDBOX_PASSWORD }) });
    expect(started.status).toBe(201);
    const { enrolment_id: id, challenge } = started.body as unknown as { enrolment_id: string; challenge: string };
    return { id, challenge, code: await smsCode(suite.provider, who.phone)() };
  }
  const complete = (id: string, body: Record<string, unknown>) => call('POST', `/app/enrolments/${id}/complete`, { body: JSON.stringify(body) });

  it('refuses keys that are private, on another curve or RSA, and a signature by another key; nothing is bound', async () => {
    const before = await deviceCount();
    const { id, challenge, code } = await start();
    const key = await generateDeviceKey();
    const signature = await signChallenge(key.privateJwk, challenge);
    const p384 = await exportJWK((await generateKeyPair('ES384', { extractable: true })).publicKey);
    const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey);
    const refusals: Array<[unknown, string]> = [
      [key.privateJwk, 'private key'],
      [p384, 'crv must be "P-256"'],
      [rsa, 'kty must be "EC"'],
      [{ ...key.publicJwk, x: 'A'.repeat(43) }, 'not a valid P-256 point'],
    ];
    for (const [jwk, reason] of refusals) {
      const answer = await complete(id, { code, public_jwk: jwk, device_name: 'X', signature });
      expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_key', error_description: expect.stringContaining(reason) } });
    }
    const byOther = await complete(id, { code, public_jwk: key.publicJwk, device_name: 'X', signature: await signChallenge((await generateDeviceKey()).privateJwk, challenge) });
    expect(byOther.body.error).toBe('invalid_signature');
    const otherChallenge = await complete(id, { code, public_jwk: key.publicJwk, device_name: 'X', signature: await signChallenge(key.privateJwk, 'another challenge') });
    expect(otherChallenge.body.error).toBe('invalid_signature');
    expect(await deviceCount()).toBe(before);
    // None of that used up the code: the proper completion still works.
    expect((await complete(id, { code, public_jwk: key.publicJwk, device_name: 'X', signature })).status).toBe(201);
    expect((await complete(id, { code, public_jwk: key.publicJwk, device_name: 'X', signature })).body.error).toBe('invalid_enrolment');
  });

  it('counts wrong codes, and refuses an expired enrolment', async () => {
    const { id, challenge, code } = await start();
    const key = await generateDeviceKey();
    const body = { public_jwk: key.publicJwk, device_name: 'X', signature: await signChallenge(key.privateJwk, challenge) };
    const wrong = await complete(id, { ...body, code: code === '000000' ? '111111' : '000000' });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_code', attempts_left: 4 } });

    const late = await start();
    clock.advance(301);
    const before = await deviceCount();
    const expired = await complete(late.id, { public_jwk: key.publicJwk, device_name: 'X', signature: await signChallenge(key.privateJwk, late.challenge), code: late.code });
    expect(expired).toMatchObject({ status: 400, body: { error: 'invalid_enrolment', error_description: expect.stringContaining('expired') } });
    expect(await deviceCount()).toBe(before);
    expect((await complete('no-such-enrolment', { ...body, code })).body.error).toBe('invalid_enrolment');
  });

  it('refuses a level-1 account, malformed requests and unknown fields with clear errors', async () => {
    const level1 = await call('POST', '/app/enrolments', { body: JSON.stringify({ personal_id: binh.personalId, password: SANDBOX_PASSWORD }) });
    expect(level1).toMatchObject({ status: 403, body: { error: 'level_2_required' } });
    expect((await call('POST', '/app/enrolments', { body: '{"personal_id":' })).status).toBe(400);
    expect((await call('POST', '/app/enrolments', { body: JSON.stringify({ personal_id: an.personalId, password: 'x', admin: true }) })).body.error_description).toContain('admin is not a field');
    expect((await call('POST', '/app/enrolments', { body: JSON.stringify({ personal_id: 'abc', password: 'x' }) })).body.error_description).toContain('12 digits');
    const { id, challenge, code } = await start();
    const key = await generateDeviceKey();
    const long = await complete(id, { code, public_jwk: key.publicJwk, device_name: 'x'.repeat(61), signature: await signChallenge(key.privateJwk, challenge) });
    expect(long.body.error_description).toContain('device_name');
    expect((await complete(id, { code, public_jwk: 'not a key', device_name: 'X', signature: 'x' })).status).toBe(400);
  });
});
