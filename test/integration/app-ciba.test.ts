// The app's CIBA routes under bad input: malformed ids and bodies, another citizen's request, a second device after
// the first answered, forged and replayed proofs, a removed device, a revoked account. Each gets a clear JSON error
// and changes nothing: the bank still sees the request pending.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { enrolDevice, signProof, smsCode } from '../helpers/app-device.ts';
import { bankServer, CIBA_GRANT, dpopFor, localTls, registerCibaBank, type BankServer, type CibaBank, type LocalTls } from '../helpers/ciba-bank.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';

const citizen = (id: string) => SANDBOX_CITIZENS.find((c) => c.personalId === id)!;
const an = citizen('001090012345');
const cuong = citizen('048201004567');
const em = citizen('092075001122');

let testDb: TestDatabase;
let tls: LocalTls;
let server: BankServer;
let provider: RunningProvider;
let bank: CibaBank;

beforeAll(async () => {
  testDb = await createTestDatabase();
  tls = await localTls();
  server = await bankServer(tls);
  provider = await startProvider(testDb, { env: { OUTBOUND_EXTRA_CA_FILE: tls.caFile, CIBA_POLL_INTERVAL_SECONDS: '1', OTP_MAX_CODES_PER_DAY: '100' } });
  bank = await registerCibaBank(provider, server, 'bank-ciba-app');
});
afterAll(async () => {
  await provider?.close();
  await server?.close();
  await tls?.remove();
  await testDb?.drop();
});

const enrol = (who: typeof an, deviceName?: string) =>
  enrolDevice(provider, { personalId: who.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(provider, who.phone), ...(deviceName ? { deviceName } : {}) });
type Device = Awaited<ReturnType<typeof enrol>>;

const ask = (who: typeof an, bindingMessage: string) =>
  oidc.initiateBackchannelAuthentication(bank.config, { scope: 'openid profile', login_hint: who.personalId, binding_message: bindingMessage });

async function shownTo(device: Device, bindingMessage: string) {
  const listed = await device.request('GET', '/app/ciba-requests');
  return listed.status === 200 ? (listed.body.requests as Array<Record<string, any>>).find((r) => r.binding_message === bindingMessage) : undefined;
}

/** What the bank's next poll says: still pending, nothing was decided. */
async function bankSees(started: { auth_req_id: string }) {
  const answer = await oidc.genericGrantRequest(bank.config, CIBA_GRANT, { auth_req_id: started.auth_req_id }, { DPoP: await dpopFor(bank) }).then(
    () => 'tokens',
    (e: unknown) => ((e as oidc.ResponseBodyError).cause as unknown as { error: string }).error,
  );
  // Polls in these tests are far apart from each other's requests; leave the interval between them.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return answer;
}

describe('the app\'s CIBA routes in the app API document', () => {
  it('lists, approves and denies under /app/ciba-requests, each signed with a Device-Proof', async () => {
    const document = (await (await fetch(`${provider.url}/app/openapi.json`)).json()) as any;
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/app/ciba-requests', '/app/ciba-requests/{id}/approve', '/app/ciba-requests/{id}/deny']));
    expect(document.paths['/app/ciba-requests/{id}/approve'].post.requestBody.content['application/json'].schema.properties.user_verification.enum).toEqual(['pin', 'biometric']);
    expect(Object.keys(document.paths['/app/ciba-requests/{id}/deny'].post.responses)).toEqual(expect.arrayContaining(['200', '401', '404', '409', '410']));
  });
});

describe('the app\'s CIBA routes refuse bad input and change nothing', () => {
  it('refuses malformed ids and bodies with a JSON error naming the problem', async () => {
    const phone = await enrol(an);
    const started = await ask(an, 'GD 6001');
    const request = await shownTo(phone, 'GD 6001');
    for (const body of [{}, { user_verification: 'face' }, { user_verification: 'pin', extra: 1 }, { user_verification: ['pin'] }]) {
      const refused = await phone.request('POST', `/app/ciba-requests/${request!.request_id}/approve`, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) });
    }
    for (const id of ['short', 'x'.repeat(65), 'a%20b%20c%20d%20e%20f%20g%20h%20i%20j', "'%3B--aaaaaaaaaaaaaaaaaaaaaa"]) {
      const refused = await phone.request('POST', `/app/ciba-requests/${id}/deny`);
      expect(refused.status, id).toBe(400);
      expect(refused.body.error).toBe('invalid_request');
    }
    const unknown = await phone.request('POST', `/app/ciba-requests/${'A'.repeat(24)}/approve`, { user_verification: 'pin' });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'unknown_request' } });
    expect(await shownTo(phone, 'GD 6001')).toBeDefined();
    expect(await bankSees(started)).toBe('authorization_pending');
  });

  it('another citizen\'s device neither sees nor answers the request; a second device of the same citizen loses to the first', async () => {
    const phone = await enrol(an, 'Điện thoại');
    const tablet = await enrol(an, 'Máy tính bảng');
    const stranger = await enrol(cuong);
    const started = await ask(an, 'GD 6002');
    const request = await shownTo(phone, 'GD 6002');
    expect(await shownTo(tablet, 'GD 6002')).toMatchObject({ request_id: request!.request_id });
    expect(await shownTo(stranger, 'GD 6002')).toBeUndefined();

    for (const decision of ['approve', 'deny']) {
      const foreign = await stranger.request('POST', `/app/ciba-requests/${request!.request_id}/${decision}`, decision === 'approve' ? { user_verification: 'pin' } : undefined);
      expect(foreign).toMatchObject({ status: 404, body: { error: 'unknown_request' } });
    }
    expect(await bankSees(started)).toBe('authorization_pending');

    const [first, second] = await Promise.all([
      phone.request('POST', `/app/ciba-requests/${request!.request_id}/deny`),
      tablet.request('POST', `/app/ciba-requests/${request!.request_id}/approve`, { user_verification: 'pin' }),
    ]);
    // Exactly one answer counts, whichever came first; the other is told it was already decided.
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const loser = first.status === 409 ? first : second;
    expect(loser.body.error).toBe('already_decided');
    expect(['access_denied', 'tokens']).toContain(await bankSees(started));
  });

  it('refuses a missing, forged or replayed proof without answering the request', async () => {
    const phone = await enrol(em);
    const started = await ask(em, 'GD 6003');
    const request = await shownTo(phone, 'GD 6003');
    const path = `/app/ciba-requests/${request!.request_id}/deny`;

    const bare = await fetch(`${provider.url}${path}`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(bare.status).toBe(401);
    expect(await bare.json()).toMatchObject({ error: 'invalid_device_proof' });

    // A proof is good once: the same list request sent again is refused.
    const listProof = await signProof(phone.key.privateJwk, { deviceId: phone.deviceId, method: 'GET', url: `${provider.url}/app/ciba-requests` });
    const first = await fetch(`${provider.url}/app/ciba-requests`, { headers: { 'device-proof': listProof, accept: 'application/json' } });
    expect(first.status).toBe(200);
    const replayed = await fetch(`${provider.url}/app/ciba-requests`, { headers: { 'device-proof': listProof, accept: 'application/json' } });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_device_proof' });

    // Another key claiming to be this device is refused.
    const otherKey = (await enrol(cuong)).key;
    const forged = await signProof(otherKey.privateJwk, { deviceId: phone.deviceId, method: 'POST', url: `${provider.url}${path}` });
    const refused = await fetch(`${provider.url}${path}`, { method: 'POST', headers: { 'device-proof': forged, accept: 'application/json' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_device_proof' });
    expect(await shownTo(phone, 'GD 6003')).toBeDefined();
    expect(await bankSees(started)).toBe('authorization_pending');
  });

  it('stops at once: a removed device and a revoked account answer nothing, and new requests go to nobody', async () => {
    const phone = await enrol(cuong, 'Cũ');
    const started = await ask(cuong, 'GD 6004');
    const request = await shownTo(phone, 'GD 6004');
    expect((await phone.request('DELETE', `/app/devices/${phone.deviceId}`)).status).toBe(204);
    const removed = await phone.request('POST', `/app/ciba-requests/${request!.request_id}/approve`, { user_verification: 'pin' });
    expect(removed).toMatchObject({ status: 401, body: { error: 'invalid_device_proof' } });
    expect(await bankSees(started)).toBe('authorization_pending');

    const fresh = await enrol(cuong, 'Mới');
    const supervisor = await officerClient(provider.url, 'giamsat');
    const accountId = (await provider.database.db.selectFrom('accounts').select('id').where('personal_id', '=', cuong.personalId).executeTakeFirstOrThrow()).id;
    expect((await supervisor.call('POST', `/admin/accounts/${accountId}/revoke`, { reason: 'tài khoản bị thu hồi' })).status).toBe(200);
    const revoked = await fresh.request('POST', `/app/ciba-requests/${request!.request_id}/approve`, { user_verification: 'pin' });
    expect(revoked).toMatchObject({ status: 401, body: { error: 'invalid_device_proof' } });
    // The bank is told nothing new: a request for a revoked account is accepted like any other, and only expires.
    const after = await ask(cuong, 'GD 6005');
    expect(Object.keys(after).sort()).toEqual(['auth_req_id', 'expires_in', 'interval']);
    const row = await provider.database.db.selectFrom('ciba_requests').select('account_id').where('auth_req_id', '=', after.auth_req_id).executeTakeFirstOrThrow();
    expect(row.account_id).toBeNull();
  });
});
