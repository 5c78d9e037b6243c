// Lockout against guessing, through the real sign-in pages: N wrong passwords lock the number for a while,
// the page never tells whether the number has an account, and officers see, lock and unlock accounts.
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { testClock } from '../helpers/clock.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { officerClient, type OfficerClient } from '../helpers/officer-api.ts';
import { SANDBOX_SECRET, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';
import { csrfToken, formAction, signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

type Citizen = (typeof SANDBOX_CITIZENS)[number];
const [an, binh, cuong, dung, em] = SANDBOX_CITIZENS as unknown as [Citizen, Citizen, Citizen, Citizen, Citizen];
const UNKNOWN = '001090999999'; // well-formed, and nobody's account

const WRONG = 'Số định danh cá nhân hoặc mật khẩu không đúng.';
const THROTTLED = (minutes: number) => `Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau ${minutes} phút.`;
const LOCKED = 'Tài khoản của bạn đang bị khóa. Vui lòng liên hệ cơ quan công an nơi bạn đăng ký để được mở khóa.';
const REVOKED = 'Tài khoản này đã bị thu hồi và không thể đăng nhập.';
const LOCK_SECONDS = 900;
const WINDOW_SECONDS = 900;

const clock = testClock();
let testDb: TestDatabase;
let provider: RunningProvider;
let rp: oidc.Configuration;
let officer: OfficerClient;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb, {
    env: { SIGN_IN_RATE_PER_MINUTE: '10000', LOCKOUT_MAX_FAILURES: '3', LOCKOUT_WINDOW_SECONDS: String(WINDOW_SECONDS), LOCKOUT_SECONDS: String(LOCK_SECONDS) },
    clock: clock.now,
  });
  rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
  officer = await officerClient(provider.url, 'canbo');
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

/** A citizen on the sign-in page of a fresh authorization request, typing into the form again and again. */
async function signInPage() {
  const agent = new UserAgent();
  const step = await agent.follow((await authorizationRequest(rp)).url.href, provider.url);
  let html = step.page!.html;
  const action = new URL(formAction(html, 'login'), step.page!.url).toString();
  return {
    /** Submits the form; returns the status and the error the page shows (or where a success leads). */
    async submit(username: string, password: string) {
      const response = await agent.request(action, { form: { _csrf: csrfToken(html), username, password } });
      const body = await response.text();
      if (body.includes('id="login"')) html = body;
      return {
        status: response.status,
        error: /role="alert"[^>]*>([^<]*)</.exec(body)?.[1],
        location: response.headers.get('location'),
        retryAfter: response.headers.get('retry-after'),
        lang: /<html lang="([^"]+)"/.exec(body)?.[1],
      };
    },
  };
}

async function fails(username: string, password: string, times: number) {
  const page = await signInPage();
  const results = [];
  for (let i = 0; i < times; i++) results.push(await page.submit(username, password));
  return results;
}

/** The whole way through: sign-in page, consent, back at the relying party with an ID token for this citizen. */
async function signsIn(personalId: string, password = SANDBOX_PASSWORD) {
  const request = await authorizationRequest(rp, { scope: 'openid personal_id', prompt: 'consent' });
  const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: personalId, password });
  const tokens = await redeem(rp, request, callback);
  return oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
}

async function accountIdOf(personalId: string): Promise<string> {
  const { status, body } = await officer.call('GET', `/admin/citizens/${personalId}`);
  expect(status).toBe(200);
  return body.account.id;
}

describe('lockout after failed sign-ins', () => {
  it('refuses even the right password after 3 wrong ones, and says so exactly as for a number without an account', async () => {
    const known = await fails(an.personalId, 'not-the-password', 3);
    const unknown = await fails(UNKNOWN, 'not-the-password', 3);

    for (const attempts of [known, unknown]) {
      expect(attempts.map((a) => a.status)).toEqual([401, 401, 429]);
      expect(attempts.map((a) => a.error)).toEqual([WRONG, WRONG, THROTTLED(15)]);
      expect(attempts[2]!.retryAfter).toBe(String(LOCK_SECONDS));
      expect(attempts.every((a) => a.lang === 'vi' && a.location === null)).toBe(true);
    }

    // The right password changes nothing while the lock lasts; the unknown number answers the same.
    const [right] = await fails(an.personalId, SANDBOX_PASSWORD, 1);
    const [again] = await fails(UNKNOWN, SANDBOX_PASSWORD, 1);
    expect(right).toEqual(again);
    expect(right).toMatchObject({ status: 429, error: THROTTLED(15), location: null });
  });

  it('shows the officer the lock, and the officer\'s unlock lets the right password in at once', async () => {
    const id = await accountIdOf(an.personalId);
    const seen = await officer.call('GET', `/admin/accounts/${id}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ personal_id: an.personalId, status: 'locked', lock_reason: 'failed_sign_ins' });
    expect(Date.parse(seen.body.locked_until)).toBeGreaterThan(clock.now().getTime());
    expect(Date.parse(seen.body.locked_until)).toBeLessThanOrEqual(clock.now().getTime() + LOCK_SECONDS * 1000);

    const unlocked = await officer.call('POST', `/admin/accounts/${id}/unlock`);
    expect(unlocked.status).toBe(200);
    expect(unlocked.body).toMatchObject({ status: 'active', lock_reason: null, locked_until: null });
    expect((await signsIn(an.personalId)).personal_id).toBe(an.personalId);

    // The failures that caused the lock are forgiven: one more mistake is only a mistake.
    expect((await fails(an.personalId, 'not-the-password', 1))[0]).toMatchObject({ status: 401, error: WRONG });

    // A supervisor reads who locked and who unlocked, in order.
    const supervisor = await officerClient(provider.url, 'giamsat');
    await provider.background.idle();
    const trail = await supervisor.call('GET', `/admin/accounts/${id}/audit`);
    const events: string[] = trail.body.events.map((e: { action: string; actor_type: string }) => `${e.actor_type} ${e.action}`);
    // The wrong passwords are in the trail too (written just after their answers), and the officer's looks.
    expect(events.filter((e) => e !== 'system account.sign_in_failed')).toEqual(['system account.locked', 'officer citizen.viewed', 'officer account.viewed', 'officer account.unlocked']);
    expect(events).toContain('system account.sign_in_failed');
    // An account that is not locked cannot be unlocked.
    expect((await officer.call('POST', `/admin/accounts/${id}/unlock`)).status).toBe(409);
  });

  it('lets the right password in again once LOCKOUT_SECONDS have passed, without an officer', async () => {
    await fails(binh.personalId, 'not-the-password', 3);
    clock.advance(LOCK_SECONDS - 30);
    expect((await fails(binh.personalId, SANDBOX_PASSWORD, 1))[0]).toMatchObject({ status: 429, error: THROTTLED(1) });
    clock.advance(31);
    expect((await signsIn(binh.personalId)).personal_id).toBe(binh.personalId);
    expect((await officer.call('GET', `/admin/accounts/${await accountIdOf(binh.personalId)}`)).body).toMatchObject({ status: 'active', lock_reason: null });
  });

  it('counts afresh after a lock has run out: it takes 3 more wrong passwords to lock again', async () => {
    await fails(cuong.personalId, 'not-the-password', 3);
    clock.advance(LOCK_SECONDS + 1);
    const after = await fails(cuong.personalId, 'still-not-it', 3);
    expect(after.map((a) => a.status)).toEqual([401, 401, 429]);
    clock.advance(LOCK_SECONDS + 1);
    expect((await signsIn(cuong.personalId)).personal_id).toBe(cuong.personalId);
  });

  it('does not add up failures that lie further apart than the window', async () => {
    expect((await fails(em.personalId, 'not-the-password', 2)).map((a) => a.status)).toEqual([401, 401]);
    clock.advance(WINDOW_SECONDS + 1);
    expect((await fails(em.personalId, 'not-the-password', 2)).map((a) => a.status)).toEqual([401, 401]);
    expect((await signsIn(em.personalId)).personal_id).toBe(em.personalId);
    // A sign-in forgets the failures before it; the count starts again and still locks at 3.
    expect((await fails(em.personalId, 'not-the-password', 3)).map((a) => a.status)).toEqual([401, 401, 429]);
    clock.advance(LOCK_SECONDS + 1);
  });
});

describe('locks by an officer and revoked accounts', () => {
  it('tells only someone who knows the password that an officer locked the account', async () => {
    const id = await accountIdOf(cuong.personalId);
    const locked = await officer.call('POST', `/admin/accounts/${id}/lock`, { reason: 'Công dân báo mất thẻ căn cước' });
    expect(locked.status).toBe(200);
    expect(locked.body).toMatchObject({ status: 'locked', lock_reason: 'officer', locked_until: null });

    expect((await fails(cuong.personalId, 'not-the-password', 1))[0]).toMatchObject({ status: 401, error: WRONG });
    expect((await fails(cuong.personalId, SANDBOX_PASSWORD, 1))[0]).toMatchObject({ status: 403, error: LOCKED, location: null });
    // Time does not lift an officer's lock.
    clock.advance(LOCK_SECONDS * 2);
    expect((await fails(cuong.personalId, SANDBOX_PASSWORD, 1))[0]).toMatchObject({ status: 403, error: LOCKED });

    expect((await officer.call('POST', `/admin/accounts/${id}/unlock`)).body).toMatchObject({ status: 'active' });
    expect((await signsIn(cuong.personalId)).personal_id).toBe(cuong.personalId);
  });

  it('never signs a revoked account in', async () => {
    const id = await accountIdOf(dung.personalId);
    await provider.database.db.updateTable('accounts').set({ status: 'revoked' }).where('id', '=', id).execute();

    expect((await fails(dung.personalId, 'not-the-password', 1))[0]).toMatchObject({ status: 401, error: WRONG });
    expect((await fails(dung.personalId, SANDBOX_PASSWORD, 1))[0]).toMatchObject({ status: 403, error: REVOKED, location: null });
    await expect(signsIn(dung.personalId)).rejects.toThrow(/did not return to the relying party/);
    // Officers can neither lock nor unlock it back to life.
    expect((await officer.call('POST', `/admin/accounts/${id}/unlock`)).status).toBe(409);
    expect((await officer.call('POST', `/admin/accounts/${id}/lock`, { reason: 'thử khóa lại' })).status).toBe(409);
    expect((await officer.call('GET', `/admin/accounts/${id}`)).body).toMatchObject({ status: 'revoked' });
  });
});

describe('the audit trail', () => {
  it('is append-only: UPDATE, DELETE and TRUNCATE are refused', async () => {
    const db = provider.database.db;
    await provider.background.idle();
    const count = async () => Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await expect(db.updateTable('audit_events').set({ action: 'nothing.happened' }).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_events').execute()).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE audit_events`.execute(db)).rejects.toThrow(/append-only/);
    expect(await count()).toBe(before);
    const actions = await db.selectFrom('audit_events').select('action').execute();
    expect(actions.some((a) => a.action === 'nothing.happened')).toBe(false);
  });
});
