// Officer sign-in over real HTTP: a TOTP second factor enrolled at the first sign-in, codes good once, a lockout
// per username that holds whatever address the guesses come from, and unknown names answered like known ones.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockoutQueries } from '../../src/accounts/lockout.ts';
import { createOfficer, disableOfficer, tokenHash } from '../../src/admin/officers.ts';
import { OFFICER_FAILURES } from '../../src/admin/session-routes.ts';
import { confirmEnrolment, signIn as officerSignIn } from '../../src/admin/sign-in.ts';
import { totpCode, totpSealer } from '../../src/admin/totp.ts';
import { SANDBOX_OFFICER_PASSWORD, SANDBOX_OFFICER_TOTP_SECRET } from '../../src/sandbox/seed.ts';
import { testClock } from '../helpers/clock.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { bearerClient } from '../helpers/officer-api.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';

const MAX_FAILURES = 3;
const clock = testClock();
let testDb: TestDatabase;
let provider: RunningProvider;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb, { env: { LOCKOUT_MAX_FAILURES: String(MAX_FAILURES), LOCKOUT_WINDOW_SECONDS: '900', LOCKOUT_SECONDS: '900' }, clock: clock.now });
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

// Every request from its own loopback address, and with its own X-Forwarded-For: per-address limits never
// come into play, as for an attacker with many addresses.
let nextAddress = 2;
function post(path: string, body: unknown): Promise<{ status: number; body: any; retryAfter: string | undefined }> {
  const n = nextAddress++;
  const from = `127.0.${Math.floor(n / 250)}.${(n % 250) + 2}`;
  const url = new URL(path, provider.url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${n % 250}` } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, retryAfter: res.headers['retry-after'] as string | undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const signIn = (username: string, password: string, otp?: string) => post('/admin/sessions', { username, password, ...(otp === undefined ? {} : { otp }) });
const sandboxCode = (stepOffset = 0) => totpCode(SANDBOX_OFFICER_TOTP_SECRET, clock.now(), stepOffset);
const REFUSED = { error: 'invalid_credentials', error_description: 'wrong username, password or one-time code' };

async function newOfficer(username: string, role: 'officer' | 'supervisor' = 'officer') {
  const password = `Mat-khau-${username}-2026`;
  const officer = await createOfficer(provider.database.db, provider.services.passwords, { username, fullName: `Cán bộ ${username}`, role, policeUnit: 'Công an phường Ba Đình', password });
  return { ...officer, password };
}

describe('the second factor', () => {
  it('at the first sign-in, the right password gives an enrolment challenge, and only a current code from it a session', async () => {
    const officer = await newOfficer('enrol.first');
    const challenge = await signIn(officer.username, officer.password);
    expect(challenge.status).toBe(200);
    expect(challenge.body).toMatchObject({ enrolment_required: 'totp', totp: { algorithm: 'SHA1', digits: 6, period: 30 } });
    expect(challenge.body.token).toBeUndefined();
    const secret: string = challenge.body.totp.secret;
    expect(challenge.body.totp.uri).toBe(`otpauth://totp/dinhdanh:enrol.first?issuer=dinhdanh&secret=${secret}&algorithm=SHA1&digits=6&period=30`);
    // The enrolment token is no session.
    expect((await bearerClient(provider.url, challenge.body.enrolment_token).call('GET', '/admin/me')).status).toBe(401);

    const wrong = await post('/admin/sessions/enrolment', { enrolment_token: challenge.body.enrolment_token, otp: totpCode(secret, clock.now(), 5) });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_otp' } });
    const confirmed = await post('/admin/sessions/enrolment', { enrolment_token: challenge.body.enrolment_token, otp: totpCode(secret, clock.now()) });
    expect(confirmed.status).toBe(201);
    expect((await bearerClient(provider.url, confirmed.body.token).call('GET', '/admin/me')).body).toMatchObject({ username: 'enrol.first' });
    // The token was used up.
    expect((await post('/admin/sessions/enrolment', { enrolment_token: challenge.body.enrolment_token, otp: totpCode(secret, clock.now(), 1) })).body.error).toBe('invalid_enrolment');

    // From now on the password alone is refused, and so is the code just used; the next one works.
    expect(await signIn(officer.username, officer.password)).toMatchObject({ status: 401, body: REFUSED });
    expect(await signIn(officer.username, officer.password, totpCode(secret, clock.now()))).toMatchObject({ status: 401, body: REFUSED });
    expect((await signIn(officer.username, officer.password, totpCode(secret, clock.now(), 1))).status).toBe(201);
    const trail = () => provider.database.db.selectFrom('audit_events').select('action').where('subject_id', '=', officer.id).orderBy('id').execute();
    // The two refusals above are in the trail as failures (written just after their answers).
    await expect.poll(async () => (await trail()).filter((e) => e.action === 'officer.sign_in_failed').length).toBe(2);
    expect((await trail()).map((e) => e.action).filter((a) => a !== 'officer.sign_in_failed')).toEqual(['officer.second_factor_enrolled', 'officer.signed_in']);
  });

  it('a sandbox officer needs the published code; a code is accepted once; wrong and old codes get the answer a wrong password gets', async () => {
    clock.advance(60);
    expect(await signIn('giamsat2', SANDBOX_OFFICER_PASSWORD)).toMatchObject({ status: 401, body: REFUSED });
    expect(await signIn('giamsat2', SANDBOX_OFFICER_PASSWORD, '000000' === sandboxCode() ? '111111' : '000000')).toMatchObject({ status: 401, body: REFUSED });
    // Three failures lock a name: clear them with a success before going on.
    const code = sandboxCode();
    expect((await signIn('giamsat2', SANDBOX_OFFICER_PASSWORD, code)).status).toBe(201);
    expect(await signIn('giamsat2', SANDBOX_OFFICER_PASSWORD, code)).toMatchObject({ status: 401, body: REFUSED });
    expect(await signIn('giamsat2', SANDBOX_OFFICER_PASSWORD, sandboxCode(-1))).toMatchObject({ status: 401, body: REFUSED });
    expect((await signIn('giamsat2', SANDBOX_OFFICER_PASSWORD, sandboxCode(1))).status).toBe(201);
    // Two minutes old: too old.
    clock.advance(30);
    expect(await signIn('giamsat2', SANDBOX_OFFICER_PASSWORD, sandboxCode(-4))).toMatchObject({ status: 401, body: REFUSED });
    expect(await signIn('giamsat2', 'wrong-password', sandboxCode(1))).toMatchObject({ status: 401, body: REFUSED });
  });
});

describe('the lockout per username', () => {
  it('locks a supervisor after N wrong guesses from N different addresses; the right password and code are then refused unchecked', async () => {
    clock.advance(3600);
    const answers = [];
    for (let i = 0; i < MAX_FAILURES + 2; i++) answers.push(await signIn('giamsat', `guess-${i}`, sandboxCode()));
    expect(answers.slice(0, MAX_FAILURES).map((a) => a.status)).toEqual(Array(MAX_FAILURES).fill(401));
    for (const locked of answers.slice(MAX_FAILURES)) {
      expect(locked).toMatchObject({ status: 429, body: { error: 'temporarily_locked' } });
      expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    }
    expect((await signIn('giamsat', SANDBOX_OFFICER_PASSWORD, sandboxCode())).status).toBe(429);

    const giamsat = await provider.database.db.selectFrom('officers').select('id').where('username', '=', 'giamsat').executeTakeFirstOrThrow();
    const locks = await provider.database.db.selectFrom('audit_events').select(['action', 'actor_type', 'detail']).where('subject_id', '=', giamsat.id).where('action', '=', 'officer.locked').execute();
    expect(locks).toHaveLength(1);
    const lockLines = provider.logs.filter((line) => line.includes('"event":"officer.locked"'));
    expect(lockLines.length).toBeGreaterThan(0);
    for (const line of provider.logs.filter((l) => l.includes('officer_'))) {
      expect(line).not.toContain('giamsat');
      expect(line).not.toContain('guess-');
    }

    // Another supervisor sees the lock and lifts it; the officer signs in again.
    const supervisor = bearerClient(provider.url, (await signIn('giamsat2', SANDBOX_OFFICER_PASSWORD, sandboxCode())).body.token);
    const listed = (await supervisor.call('GET', '/admin/officers')).body.officers.find((o: { username: string }) => o.username === 'giamsat');
    expect(Date.parse(listed.lockedUntil)).toBeGreaterThan(clock.now().getTime());
    const desk = bearerClient(provider.url, (await signIn('canbo', SANDBOX_OFFICER_PASSWORD, sandboxCode())).body.token);
    expect((await desk.call('POST', '/admin/officers/giamsat/unlock')).status).toBe(403);
    expect((await supervisor.call('POST', '/admin/officers/giamsat/unlock')).status).toBe(200);
    expect((await signIn('giamsat', SANDBOX_OFFICER_PASSWORD, sandboxCode(1))).status).toBe(201);
  });

  it('twenty guesses at once from twenty addresses: no more than N are checked', async () => {
    clock.advance(3600);
    const officer = await newOfficer('dong.thoi', 'supervisor');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn(officer.username, `guess-${i}`, '123456')));
    const checked = answers.filter((a) => a.status === 401).length;
    expect(checked).toBeLessThanOrEqual(MAX_FAILURES);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(20 - checked);
    expect((await signIn(officer.username, officer.password)).status).toBe(429);
  });

  it('a wrong code counts toward the lock like a wrong password', async () => {
    clock.advance(3600);
    for (let i = 0; i < MAX_FAILURES; i++) expect((await signIn('canbo', SANDBOX_OFFICER_PASSWORD, sandboxCode(7 + i))).status).toBe(401);
    expect((await signIn('canbo', SANDBOX_OFFICER_PASSWORD, sandboxCode())).status).toBe(429);
    clock.advance(901);
    expect((await signIn('canbo', SANDBOX_OFFICER_PASSWORD, sandboxCode())).status).toBe(201);
  });

  it('an unknown username is counted and answered exactly like a known one', async () => {
    clock.advance(3600);
    const known = [];
    const unknown = [];
    for (let i = 0; i < MAX_FAILURES + 1; i++) {
      known.push(await signIn('enrol.first', `guess-${i}`, '123456'));
      unknown.push(await signIn('khong.co.ai', `guess-${i}`, '123456'));
    }
    const shape = (a: { status: number; body: any }) => ({ status: a.status, body: { ...a.body, locked_until: a.body.locked_until ? 'when' : undefined } });
    expect(unknown.map(shape)).toEqual(known.map(shape));
    expect(unknown.map((a) => a.status)).toEqual([...Array(MAX_FAILURES).fill(401), 429]);
  });
});

it('keeps the confirmed authenticator when a sign-in that read the officer before the confirmation ends after it', async () => {
  clock.advance(3600);
  const officer = await newOfficer('enrol.stale');
  const challenge = await signIn(officer.username, officer.password);
  const secret = challenge.body.totp.secret;
  // A second password sign-in, held in its password check: it has read the officer as not yet enrolled.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const hasher = provider.services.passwords;
  const deps = {
    db: provider.database.db,
    passwords: { ...hasher, verify: async (hash: string, password: string) => (entered(), await gate, hasher.verify(hash, password)) },
    lockout: lockoutQueries(provider.database.db, { maxFailures: MAX_FAILURES, windowSeconds: 900, lockSeconds: 900 }, clock.now, OFFICER_FAILURES),
    sealer: totpSealer(provider.services.secondFactor.secret),
    now: clock.now,
    sessionSeconds: 3600,
  };
  const late = officerSignIn(deps, { username: officer.username, password: officer.password, ip: '127.0.0.1' });
  await inside;
  expect((await post('/admin/sessions/enrolment', { enrolment_token: challenge.body.enrolment_token, otp: totpCode(secret, clock.now()) })).status).toBe(201);
  release();
  // The late sign-in starts no enrolment: the officer now needs a code.
  const outcome = await late;
  expect(outcome.kind).toBe('refused');
  expect(await provider.database.db.selectFrom('officer_totp_enrolments').select('officer_id').where('officer_id', '=', officer.id).execute()).toEqual([]);
  // And the authenticator the officer scanned still signs in.
  expect((await signIn(officer.username, officer.password, totpCode(secret, clock.now(), 1))).status).toBe(201);
  // An enrolment row written anyway (as such a sign-in wrote before) replaces nothing when confirmed.
  const strayToken = 'stray-enrolment-token';
  const straySecret = 'JBSWY3DPEHPK3PXP';
  await provider.database.db
    .insertInto('officer_totp_enrolments')
    .values({ token_hash: tokenHash(strayToken), officer_id: officer.id, totp_secret: deps.sealer.seal(straySecret), expires_at: new Date(clock.now().getTime() + 600_000) })
    .execute();
  const stray = await confirmEnrolment(deps, { enrolmentToken: strayToken, otp: totpCode(straySecret, clock.now()), ip: '127.0.0.1' });
  expect(stray.kind).toBe('unknown_enrolment');
  clock.advance(60);
  expect((await signIn(officer.username, officer.password, totpCode(secret, clock.now()))).status).toBe(201);
});

it('disabling an officer ends the open session at once and refuses the next sign-in', async () => {
  clock.advance(3600);
  const officer = await newOfficer('sap.nghi');
  const challenge = await signIn(officer.username, officer.password);
  const secret = challenge.body.totp.secret;
  const session = await post('/admin/sessions/enrolment', { enrolment_token: challenge.body.enrolment_token, otp: totpCode(secret, clock.now()) });
  const client = bearerClient(provider.url, session.body.token);
  expect((await client.call('GET', '/admin/me')).status).toBe(200);

  expect(await disableOfficer(provider.database.db, officer.username, { actor: { type: 'system', id: 'cli' }, now: clock.now() })).toBe('disabled');
  expect((await client.call('GET', '/admin/me')).status).toBe(401);
  expect(await provider.database.db.selectFrom('officer_sessions').select('token_hash').where('officer_id', '=', officer.id).execute()).toEqual([]);
  expect(await signIn(officer.username, officer.password, totpCode(secret, clock.now(), 1))).toMatchObject({ status: 401, body: REFUSED });
});
