// QR sign-in against hostile or mistaken apps: forged and replayed proofs, another citizen's request, codes that
// are not ours, malformed input, late decisions. Each gets a clear JSON refusal, never a 500, and changes nothing.
import { describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { signedDevice } from '../../src/devices/device-client.ts';
import { enrolDevice, generateDeviceKey, injectSend, signProof, smsCode } from '../helpers/app-device.ts';
import { testClock } from '../helpers/clock.ts';
import { ENGINE, type TestDatabase } from '../helpers/database.ts';
import { startProvider } from '../helpers/provider.ts';
import { authorizationRequest, sandboxProviderForSuite } from '../helpers/relying-party.ts';
import { csrfToken, formAction, UserAgent } from '../helpers/user-agent.ts';

const clock = testClock();
const suite = sandboxProviderForSuite({ clock: clock.now });
const an = SANDBOX_CITIZENS.find((c) => c.personalId === '001090012345')!;
const cuong = SANDBOX_CITIZENS.find((c) => c.personalId === '048201004567')!;

const enrol = (citizen: typeof an) =>
  enrolDevice(suite.provider, { personalId: citizen.personalId, password: SANDBOX_PASSWORD, readSmsCode: smsCode(suite.provider, citizen.phone), now: clock.now });

/** A browser at the sign-in page: its agent (cookies), the interaction's page URL and the code's text. */
async function signInPage() {
  const agent = new UserAgent();
  const request = await authorizationRequest(suite.rp);
  const step = await agent.follow(request.url.href, suite.provider.url);
  const qr = /data-qr-payload="([^"]+)"/.exec(step.page!.html)![1]!;
  return { agent, url: step.page!.url, qr, id: qr.split('/').pop()! };
}

const row = (id: string) => suite.provider.database.db.selectFrom('qr_sign_in_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('QR sign-in: the app API refuses what it must', () => {
  it('refuses a forged proof and a replayed one; the code stays unclaimed', async () => {
    const phone = await enrol(an);
    const { qr, id } = await signInPage();
    const body = JSON.stringify({ qr });
    const url = `${suite.provider.url}/app/qr-sign-ins`;
    const send = (proof: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'device-proof': proof }, body });
    const iat = Math.floor(clock.now().getTime() / 1000);

    // Signed by another key in the name of An's device.
    const stranger = await generateDeviceKey();
    const forged = await send(await signProof(stranger.privateJwk, { deviceId: phone.deviceId, method: 'POST', url, rawBody: body, iat }));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: 'invalid_device_proof' });
    expect((await row(id)).device_id).toBeNull();

    // A proof for another body (the code swapped in transit).
    const otherBody = await send(await signProof(phone.key.privateJwk, { deviceId: phone.deviceId, method: 'POST', url, rawBody: JSON.stringify({ qr: `${qr}x` }), iat }));
    expect(otherBody.status).toBe(401);
    expect((await row(id)).device_id).toBeNull();

    // The genuine proof works once; sent again, it is refused.
    const proof = await signProof(phone.key.privateJwk, { deviceId: phone.deviceId, method: 'POST', url, rawBody: body, iat });
    expect((await send(proof)).status).toBe(200);
    const replayed = await send(proof);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_device_proof' });
    expect((await row(id)).decision).toBeNull();
  });

  it("answers another citizen's request as unknown, and leaves it to its own device", async () => {
    const [phone, cuongsPhone] = [await enrol(an), await enrol(cuong)];
    const { agent, url, qr, id } = await signInPage();
    const scanned = await phone.request('POST', '/app/qr-sign-ins', { qr });
    expect(scanned.status).toBe(200);
    for (const [method, path, body] of [
      ['GET', `/app/qr-sign-ins/${id}`, undefined],
      ['POST', `/app/qr-sign-ins/${id}/approve`, { user_verification: 'pin' }],
      ['POST', `/app/qr-sign-ins/${id}/deny`, undefined],
    ] as const) {
      const answer = await cuongsPhone.request(method, path, body);
      expect(answer).toEqual({ status: 404, body: { error: 'unknown_request', error_description: 'no QR sign-in request with this id was scanned by this device' } });
    }
    expect(await row(id)).toMatchObject({ decision: null, account_id: expect.any(String) });
    // Cường's browser cannot look at or use An's sign-in either: the interaction's cookie is in An's browser only.
    const intruder = new UserAgent();
    expect(await (await intruder.request(`${url}/qr/status`, { headers: { accept: 'application/json' } })).json()).toEqual({ status: 'expired' });
    expect((await intruder.request(`${url}/qr`)).status).toBe(400);

    expect((await phone.request('POST', `/app/qr-sign-ins/${id}/approve`, { user_verification: 'pin' })).status).toBe(200);
    const status = await agent.request(`${url}/qr/status`, { headers: { accept: 'application/json' } });
    expect(await status.json()).toMatchObject({ status: 'approved' });
    // The decision is in An's audit trail, with the device that made it; nothing in Cường's.
    const trail = await suite.provider.database.db.selectFrom('audit_events').select(['actor_id', 'action', 'detail']).where('action', 'like', 'qr_sign_in.%').execute();
    const anAccount = (await row(id)).account_id;
    expect(trail.filter((event) => (event.detail as { device?: string }).device === phone.deviceId)).toEqual([
      { actor_id: anAccount, action: 'qr_sign_in.approved', detail: { device: phone.deviceId, client: 'sandbox', user_verification: 'pin' } },
    ]);
    expect(trail.some((event) => (event.detail as { device?: string }).device === cuongsPhone.deviceId)).toBe(false);
  });

  it('lists its routes in the app API document', async () => {
    const document = (await (await fetch(`${suite.provider.url}/app/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown }>> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/app/qr-sign-ins', '/app/qr-sign-ins/{id}', '/app/qr-sign-ins/{id}/approve', '/app/qr-sign-ins/{id}/deny']));
    expect(document.paths['/app/qr-sign-ins/{id}/approve']!.post!.security).toBeUndefined();
  });

  it('refuses codes that are not ours and malformed bodies with a reason, never a 500', async () => {
    const phone = await enrol(an);
    const { qr, id } = await signInPage();
    const cases: [unknown, number, string][] = [
      [{ qr: 'not a code' }, 400, 'invalid_qr'],
      [{ qr: `https://elsewhere.example/app/qr/${id}` }, 400, 'invalid_qr'],
      [{ qr: `${suite.provider.url}/app/qr/short` }, 400, 'invalid_qr'],
      [{ qr: `${suite.provider.url}/app/qr/${'A'.repeat(22)}` }, 404, 'unknown_request'],
      [{ qr: 'x'.repeat(3000) }, 400, 'invalid_request'],
      [{ qr: 42 }, 400, 'invalid_request'],
      [{ qr, extra: true }, 400, 'invalid_request'],
      [{}, 400, 'invalid_request'],
    ];
    for (const [body, status, error] of cases) {
      const answer = await phone.request('POST', '/app/qr-sign-ins', body);
      expect({ body, status: answer.status, error: answer.body.error }).toEqual({ body, status, error });
      expect(answer.body.error_description).toEqual(expect.any(String));
    }
    expect((await row(id)).device_id).toBeNull();

    expect((await phone.request('POST', '/app/qr-sign-ins', { qr })).status).toBe(200);
    for (const body of [{ user_verification: 'face-of-someone-else' }, {}, { user_verification: 'pin', amr: ['pwd'] }]) {
      const answer = await phone.request('POST', `/app/qr-sign-ins/${id}/approve`, body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringContaining('body') });
    }
    expect((await phone.request('POST', '/app/qr-sign-ins/..%2F..%2Fadmin/approve', { user_verification: 'pin' })).status).toBe(400);
    expect((await row(id)).decision).toBeNull();
  });

  it('refuses a decision after the two minutes, and the browser is offered a new code', async () => {
    const phone = await enrol(an);
    const { agent, url, qr, id } = await signInPage();
    expect((await phone.request('POST', '/app/qr-sign-ins', { qr })).status).toBe(200);
    clock.advance(121);
    expect(await phone.request('POST', `/app/qr-sign-ins/${id}/approve`, { user_verification: 'pin' })).toMatchObject({ status: 410, body: { error: 'expired_request' } });
    expect((await row(id)).decision).toBeNull();
    const waiting = await agent.request(`${url}/qr`);
    expect(await waiting.text()).toContain('Lấy mã mới');
  });

  it('holds across instances: of two devices scanning at once on two instances one wins, and an approval on one lets the browser on the other go on', async () => {
    const [phone, cuongsPhone] = [await enrol(an), await enrol(cuong)];
    const testDb = (suite as unknown as { testDb: TestDatabase }).testDb;
    const second = await startProvider(testDb, { ...(ENGINE === 'pglite' ? { database: suite.provider.database } : {}), env: { ISSUER: suite.provider.url }, clock: clock.now });
    try {
      const onSecond = (device: typeof phone) => signedDevice({ deviceId: device.deviceId, privateJwk: device.key.privateJwk, issuer: suite.provider.url, send: injectSend(second.app), now: clock.now });
      const { agent, url, qr, id } = await signInPage();
      const [first, other] = await Promise.all([phone.request('POST', '/app/qr-sign-ins', { qr }), onSecond(cuongsPhone).request('POST', '/app/qr-sign-ins', { qr })]);
      expect([first.status, other.status].sort()).toEqual([200, 409]);
      const winner = first.status === 200 ? phone : cuongsPhone;
      expect(await onSecond(winner).request('POST', `/app/qr-sign-ins/${id}/approve`, { user_verification: 'pin' })).toEqual({ status: 200, body: { status: 'approved' } });
      const step = await agent.follow(`${url}/qr`, suite.provider.url);
      expect(step.page?.html ?? step.redirect).toContain('id="consent"');
    } finally {
      await second.close();
    }
  });

  it('a sandbox client signs in sandbox citizens only: another citizen\'s scan is refused and leaves the code as it was', async () => {
    const [phone, cuongsPhone] = [await enrol(an), await enrol(cuong)];
    // Cường made an ordinary citizen: no longer one the sandbox seeded (the last test of this file to use him).
    await suite.provider.database.db.deleteFrom('sandbox_seed').where('kind', '=', 'citizen').where('key', '=', cuong.personalId).execute();
    const { qr, id } = await signInPage();
    expect(await cuongsPhone.request('POST', '/app/qr-sign-ins', { qr })).toEqual({
      status: 403,
      body: { error: 'access_denied', error_description: 'this is a sandbox service: it signs in sandbox citizens only' },
    });
    expect(await row(id)).toMatchObject({ device_id: null, decision: null });
    expect((await phone.request('POST', '/app/qr-sign-ins', { qr })).status).toBe(200);
  });

  it('wrong passwords typed for the number do not shut the citizen out of the app: the lock guards the password only', async () => {
    const phone = await enrol(an);
    // Someone types wrong passwords for An's number until it locks.
    for (let i = 0; i < 5; i++) {
      const agent = new UserAgent();
      const step = await agent.follow((await authorizationRequest(suite.rp)).url.href, suite.provider.url);
      await agent.request(new URL(formAction(step.page!.html, 'login'), step.page!.url).href, { form: { _csrf: csrfToken(step.page!.html), username: an.personalId, password: 'doan-mat-khau' } });
    }
    expect(await suite.provider.database.db.selectFrom('accounts').select(['status', 'lock_reason']).where('personal_id', '=', an.personalId).executeTakeFirstOrThrow()).toEqual({ status: 'locked', lock_reason: 'failed_sign_ins' });
    // An, in her own browser, signs in with the app while the lock lasts.
    const { agent, url, qr, id } = await signInPage();
    expect((await phone.request('POST', '/app/qr-sign-ins', { qr })).status).toBe(200);
    expect(await phone.request('POST', `/app/qr-sign-ins/${id}/approve`, { user_verification: 'pin' })).toEqual({ status: 200, body: { status: 'approved' } });
    const step = await agent.follow(`${url}/qr`, suite.provider.url);
    expect(step.page?.html ?? step.redirect).toContain('id="consent"');
    // The lock lifted, as an officer would, for the tests after this one.
    await suite.provider.database.db.updateTable('accounts').set({ status: 'active', lock_reason: null, locked_until: null }).where('personal_id', '=', an.personalId).execute();
    await suite.provider.database.db.deleteFrom('sign_in_failures').where('personal_id', '=', an.personalId).execute();
  });

  it('a device removed after approving signs nobody in', async () => {
    const phone = await enrol(an);
    const { agent, url, qr, id } = await signInPage();
    await phone.request('POST', '/app/qr-sign-ins', { qr });
    expect((await phone.request('POST', `/app/qr-sign-ins/${id}/approve`, { user_verification: 'pin' })).status).toBe(200);
    expect((await phone.request('DELETE', `/app/devices/${phone.deviceId}`)).status).toBe(204);
    const page = await agent.request(`${url}/qr`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('Tài khoản đã xác nhận trên ứng dụng hiện không thể đăng nhập');
    // And the approval is spent: no second try after the device came back some other way.
    expect((await row(id)).used_at).not.toBeNull();
  });
});
