// CIBA for banks end to end: a bank's back office asks with openid-client 6 (initiateBackchannelAuthentication,
// pollBackchannelAuthenticationGrant), the citizen's e-ID app (a device enrolled through the real /app API) sees who
// asks, the binding message, the data and the level, and approves or denies. Poll and ping modes, expiry, the answer
// given once, and tokens at level 2 carrying only what the bank is approved for.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { enrolDevice, smsCode } from '../helpers/app-device.ts';
import { bankServer, CIBA_GRANT, dpopFor, localTls, registerCibaBank, type BankServer, type CibaBank, type LocalTls } from '../helpers/ciba-bank.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';

type Device = Awaited<ReturnType<typeof enrolDevice>>;

const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;
const NOBODY = '001099123456';

let testDb: TestDatabase;
let tls: LocalTls;
let server: BankServer;
let provider: RunningProvider;
let pollBank: CibaBank;
let pingBank: CibaBank;
let phone: Device;

beforeAll(async () => {
  testDb = await createTestDatabase();
  tls = await localTls();
  server = await bankServer(tls);
  provider = await startProvider(testDb, { env: { OUTBOUND_EXTRA_CA_FILE: tls.caFile, CIBA_POLL_INTERVAL_SECONDS: '1', OTP_MAX_CODES_PER_DAY: '100' } });
  pollBank = await registerCibaBank(provider, server, 'bank-ciba-poll');
  pingBank = await registerCibaBank(provider, server, 'bank-ciba-ping', { mode: 'ping', scope: 'openid profile' });
  phone = await enrolDevice(provider, { personalId: an.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(provider, an.phone), deviceName: 'Điện thoại của An' });
});
afterAll(async () => {
  await provider?.close();
  await server?.close();
  await tls?.remove();
  await testDb?.drop();
});

const ask = (bank: CibaBank, bindingMessage: string, extra: Record<string, string> = {}) =>
  oidc.initiateBackchannelAuthentication(bank.config, { scope: 'openid profile', login_hint: an.personalId, binding_message: bindingMessage, ...extra });

/** The request the app shows with this binding message (the app lists what waits for its citizen). */
async function shown(device: Device, bindingMessage: string) {
  const listed = await device.request('GET', '/app/ciba-requests');
  expect(listed.status).toBe(200);
  return (listed.body.requests as Array<Record<string, any>>).find((r) => r.binding_message === bindingMessage);
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(oidc.ResponseBodyError);
  return (error as oidc.ResponseBodyError).cause as unknown as { error: string; error_description?: string };
}

describe('CIBA: the bank asks, the citizen answers in the app', () => {
  it('poll mode: the app shows who asks for what; approval gives level-2 tokens with only the approved claims', async () => {
    const dpop = await dpopFor(pollBank);
    const started = await ask(pollBank, 'GD 1001', {
      scope: 'openid profile personal_id address',
      // id_card is not in this bank's approval: asked for, never released.
      claims: JSON.stringify({ id_token: { address: null, id_card: null }, userinfo: { id_card: null, verified_claims: { verification: { trust_framework: null }, claims: { given_name: null } } } }),
    });
    expect(started.interval).toBe(1);

    const request = await shown(phone, 'GD 1001');
    expect(request).toMatchObject({
      service: { client_id: 'bank-ciba-poll', name: 'Ngân hàng bank-ciba-poll', domain: 'bank-ciba-poll.example.vn' },
      scopes: ['openid', 'profile', 'personal_id', 'address'],
      level: 2,
    });
    expect(request!.claims).toEqual(expect.arrayContaining(['name', 'personal_id', 'address']));
    expect(request!.claims).not.toContain('id_card');
    expect(request!.labels.length).toBeGreaterThan(0);
    // verified_claims is named to the citizen like any other item asked for.
    expect(request!.claims).toContain('verified_claims');
    expect(request!.labels).toContain('Danh tính kèm bằng chứng xác thực (thẻ căn cước được kiểm tra trực tiếp tại cơ quan công an, Bộ Công an xác nhận)');
    expect(request!.expires_in).toBeGreaterThan(250);

    const approved = await phone.request('POST', `/app/ciba-requests/${request!.request_id}/approve`, { user_verification: 'pin' });
    expect(approved).toMatchObject({ status: 200, body: { status: 'approved' } });

    const tokens = await oidc.pollBackchannelAuthenticationGrant(pollBank.config, started, undefined, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const idToken = tokens.claims()!;
    expect(idToken).toMatchObject({ acr: 'urn:vn:eid:loa:2', amr: ['hwk', 'pin', 'mfa'], aud: 'bank-ciba-poll' });
    expect(idToken.address).toMatchObject({ region: 'Hà Nội', country: 'VN' });
    expect(idToken).not.toHaveProperty('id_card');
    const userinfo = await oidc.fetchUserInfo(pollBank.config, tokens.access_token, idToken.sub, { DPoP: dpop });
    expect(userinfo).toMatchObject({ sub: idToken.sub, name: 'Nguyễn Văn An', personal_id: an.personalId, address: { country: 'VN' } });
    for (const claim of ['id_card', 'phone_number', 'email', 'driver_licenses']) expect(userinfo).not.toHaveProperty(claim);

    // Answered once: no longer listed, a second approval is refused, the auth_req_id is spent.
    expect(await shown(phone, 'GD 1001')).toBeUndefined();
    const again = await phone.request('POST', `/app/ciba-requests/${request!.request_id}/approve`, { user_verification: 'pin' });
    expect(again).toMatchObject({ status: 409, body: { error: 'already_decided' } });
    const reused = await refusal(oidc.genericGrantRequest(pollBank.config, CIBA_GRANT, { auth_req_id: started.auth_req_id }, { DPoP: dpop }));
    expect(reused.error).toBe('invalid_grant');

    // What left is in the citizen's disclosure history.
    const disclosed = await provider.database.db.selectFrom('disclosures').select(['claims', 'acr']).where('client_id', '=', 'bank-ciba-poll').execute();
    expect(disclosed.map((d) => d.acr)).toContain('urn:vn:eid:loa:2');
    expect(disclosed.flatMap((d) => d.claims)).toContain('personal_id');
    // And the answer is in the audit trail, with the device that gave it.
    const audited = await provider.database.db.selectFrom('audit_events').select(['actor_type', 'detail']).where('action', '=', 'ciba.approved').where('subject_id', '=', 'bank-ciba-poll').execute();
    expect(audited).toEqual([{ actor_type: 'citizen', detail: { device: phone.deviceId, user_verification: 'pin' } }]);
  });

  it('ping mode: approval pings the bank\'s notification endpoint with its token, then the bank fetches the tokens', async () => {
    const token = oidc.randomState();
    const started = await ask(pingBank, 'Mở thẻ 2002', { client_notification_token: token });
    const request = await shown(phone, 'Mở thẻ 2002');
    expect(request?.service.client_id).toBe('bank-ciba-ping');
    expect(server.pings.some((p) => p.body.auth_req_id === started.auth_req_id)).toBe(false);

    const approved = await phone.request('POST', `/app/ciba-requests/${request!.request_id}/approve`, { user_verification: 'biometric' });
    expect(approved.status).toBe(200);
    await expect.poll(() => server.pings.find((p) => p.body.auth_req_id === started.auth_req_id)).toMatchObject({ authorization: `Bearer ${token}` });

    const tokens = await oidc.pollBackchannelAuthenticationGrant(pingBank.config, started, undefined, { DPoP: await dpopFor(pingBank) });
    expect(tokens.claims()).toMatchObject({ acr: 'urn:vn:eid:loa:2', amr: ['hwk', 'fpt', 'mfa'] });
  });

  it('denial: the bank is told access_denied (and pinged in ping mode)', async () => {
    const started = await ask(pollBank, 'GD 3003');
    const request = await shown(phone, 'GD 3003');
    expect((await phone.request('POST', `/app/ciba-requests/${request!.request_id}/deny`)).body).toEqual({ status: 'denied' });
    const outcome = await refusal(oidc.pollBackchannelAuthenticationGrant(pollBank.config, started, undefined, { DPoP: await dpopFor(pollBank) }));
    expect(outcome).toMatchObject({ error: 'access_denied', error_description: expect.stringContaining('denied the request in the e-ID app') });

    const token = oidc.randomState();
    const pinged = await ask(pingBank, 'GD 3004', { client_notification_token: token });
    const shownPing = await shown(phone, 'GD 3004');
    await phone.request('POST', `/app/ciba-requests/${shownPing!.request_id}/deny`);
    await expect.poll(() => server.pings.find((p) => p.body.auth_req_id === pinged.auth_req_id)).toMatchObject({ authorization: `Bearer ${token}` });
    expect((await refusal(oidc.pollBackchannelAuthenticationGrant(pingBank.config, pinged, undefined, { DPoP: await dpopFor(pingBank) }))).error).toBe('access_denied');
  });

  it('expiry: an unanswered request leaves the app, cannot be approved any more, and the bank gets expired_token', async () => {
    const started = await ask(pollBank, 'GD 4004', { requested_expiry: '2' });
    const request = await shown(phone, 'GD 4004');
    expect(request).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    expect(await shown(phone, 'GD 4004')).toBeUndefined();
    const late = await phone.request('POST', `/app/ciba-requests/${request!.request_id}/approve`, { user_verification: 'pin' });
    expect(late).toMatchObject({ status: 410, body: { error: 'expired_request' } });
    const outcome = await refusal(
      oidc.pollBackchannelAuthenticationGrant(pollBank.config, started, undefined, { DPoP: await dpopFor(pollBank), signal: AbortSignal.timeout(10_000) }),
    );
    expect(outcome.error).toBe('expired_token');
  });

  it('answers an enrolled citizen and an ID number with no account alike', async () => {
    const [known, unknown] = await Promise.all([ask(pollBank, 'GD 5005'), oidc.initiateBackchannelAuthentication(pollBank.config, { scope: 'openid profile', login_hint: NOBODY, binding_message: 'GD 5006' })]);
    expect(Object.keys(unknown).sort()).toEqual(Object.keys(known).sort());
    expect(unknown.expires_in).toBe(known.expires_in);
    expect(unknown.interval).toBe(known.interval);
    expect(await shown(phone, 'GD 5006')).toBeUndefined();
  });
});

describe('CIBA in the sandbox', () => {
  it('a developer registers a CIBA client at /reg (client secret, public subject) and the citizen approves it in the app', async () => {
    const registered = await fetch(`${provider.url}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Ngân hàng thử nghiệm', grant_types: [CIBA_GRANT], response_types: [], redirect_uris: [],
        backchannel_token_delivery_mode: 'poll', subject_type: 'public', token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile personal_id',
      }),
    });
    expect(registered.status).toBe(201);
    const client = (await registered.json()) as { client_id: string; client_secret: string };
    const config = await oidc.discovery(new URL(provider.url), client.client_id, undefined, oidc.ClientSecretBasic(client.client_secret), { execute: [oidc.allowInsecureRequests] });
    const started = await oidc.initiateBackchannelAuthentication(config, { scope: 'openid personal_id', login_hint: an.personalId, binding_message: 'Thử 7007' });
    const request = await shown(phone, 'Thử 7007');
    expect(request?.service.name).toBe('Ngân hàng thử nghiệm');
    await phone.request('POST', `/app/ciba-requests/${request!.request_id}/approve`, { user_verification: 'pin' });
    const tokens = await oidc.pollBackchannelAuthenticationGrant(config, started);
    expect(tokens.claims()).toMatchObject({ acr: 'urn:vn:eid:loa:2' });
    expect(await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).toMatchObject({ personal_id: an.personalId });
  });
});
