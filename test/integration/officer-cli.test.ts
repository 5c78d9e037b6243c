// `npm run cli -- officers …` as real processes on a scratch database: an operator adds, lists, unlocks, enables,
// resets and disables officers without SQL, and the running provider honours every change.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { totpCode } from '../../src/admin/totp.ts';
import { testClock } from '../helpers/clock.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../helpers/database.ts';
import { bearerClient } from '../helpers/officer-api.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const clock = testClock();
let testDb: TestDatabase;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dinhdanh-officer-cli-'));
  // PGlite: the directory the CLI opens for DATA_DIR (its pglite/ subdirectory); PostgreSQL: a scratch database.
  testDb = ENGINE === 'postgres' ? await createTestDatabase() : { location: { engine: 'pglite', dataDir: join(dir, 'data', 'pglite') }, drop: async () => {} };
});
afterAll(async () => {
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function cliEnv() {
  const location = testDb.location;
  return { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATA_DIR: join(dir, 'data'), ...(location.engine === 'postgres' ? { DATABASE_URL: location.url } : {}) };
}

function cli(args: string[], input?: string) {
  return spawnSync(process.execPath, ['src/cli.ts', 'officers', ...args], { cwd: ROOT, env: cliEnv(), encoding: 'utf8', ...(input === undefined ? {} : { input }) });
}

/** The embedded database has one writer: the provider runs only between CLI commands. */
async function withProvider<T>(fn: (provider: RunningProvider) => Promise<T>): Promise<T> {
  const provider = await startProvider(testDb, { env: { LOCKOUT_MAX_FAILURES: '2' }, clock: clock.now });
  try {
    return await fn(provider);
  } finally {
    await provider.close();
  }
}

async function signIn(provider: RunningProvider, body: Record<string, string>, path = '/admin/sessions') {
  const response = await fetch(`${provider.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

it('adds, lists, unlocks, resets and disables officers; every change is audited and the provider follows it', async () => {
  const migrated = spawnSync(process.execPath, ['src/cli.ts', 'migrate'], { cwd: ROOT, env: cliEnv(), encoding: 'utf8' });
  expect(migrated.status, migrated.stderr).toBe(0);

  const added = cli(['add', 'Thu.Tran', '--name', 'Trần Thị Thu', '--role', 'supervisor', '--unit', 'Công an phường Láng']);
  expect(added.status, added.stderr).toBe(0);
  const password = /initial password[^:]*: (\S+)/.exec(added.stdout)?.[1];
  expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
  expect(cli(['add', 'thu.tran', '--name', 'X', '--role', 'officer', '--unit', 'Y']).status).toBe(1);
  expect(cli(['add', 'khac', '--name', 'X', '--role', 'general', '--unit', 'Y']).status).toBe(2);
  const piped = cli(['add', 'nhap.tay', '--name', 'Lê Nhập', '--role', 'officer', '--unit', 'Công an phường Láng', '--password-stdin'], 'Mat-khau-rat-dai-2026\n');
  expect(piped.status, piped.stderr).toBe(0);
  expect(piped.stdout).not.toContain('Mat-khau-rat-dai-2026');

  const { secret, token } = await withProvider(async (provider) => {
    const challenge = await signIn(provider, { username: 'thu.tran', password: password! });
    expect(challenge.status).toBe(200);
    const confirmed = await signIn(provider, { enrolment_token: challenge.body.enrolment_token, otp: totpCode(challenge.body.totp.secret, clock.now()) }, '/admin/sessions/enrolment');
    expect(confirmed.status).toBe(201);
    expect((await signIn(provider, { username: 'nhap.tay', password: 'Mat-khau-rat-dai-2026' })).status).toBe(200);
    // Two wrong guesses lock the name.
    for (const guess of ['sai-1', 'sai-2']) expect((await signIn(provider, { username: 'thu.tran', password: guess })).status).toBe(401);
    expect((await signIn(provider, { username: 'thu.tran', password: password!, otp: totpCode(challenge.body.totp.secret, clock.now(), 1) })).status).toBe(429);
    return { secret: challenge.body.totp.secret as string, token: confirmed.body.token as string };
  });

  const listed = cli(['list']);
  expect(listed.status, listed.stderr).toBe(0);
  const row = listed.stdout.split('\n').find((line) => line.startsWith('thu.tran '));
  expect(row).toMatch(/thu\.tran\s+supervisor\s+Công an phường Láng\s+active\s+totp\s+locked until /);
  expect(listed.stdout.split('\n').find((line) => line.startsWith('nhap.tay '))).toMatch(/active\s+not enrolled\s+-$/);

  // Unlocked, and the authenticator forgotten (a lost phone): the right password is checked again and leads to a
  // new enrolment; the old code no longer opens a session, and the open session is over.
  expect(cli(['unlock', 'thu.tran']).stdout).toContain('unlocked');
  expect(cli(['reset-2fa', 'thu.tran']).status).toBe(0);
  clock.advance(60);
  const token2 = await withProvider(async (provider) => {
    expect((await bearerClient(provider.url, token).call('GET', '/admin/me')).status).toBe(401);
    const challenge = await signIn(provider, { username: 'thu.tran', password: password!, otp: totpCode(secret, clock.now()) });
    expect(challenge.status).toBe(200);
    expect(challenge.body.enrolment_required).toBe('totp');
    expect(challenge.body.totp.secret).not.toBe(secret);
    const confirmed = await signIn(provider, { enrolment_token: challenge.body.enrolment_token, otp: totpCode(challenge.body.totp.secret, clock.now()) }, '/admin/sessions/enrolment');
    expect(confirmed.status).toBe(201);
    return confirmed.body.token as string;
  });

  const disabled = cli(['disable', 'thu.tran']);
  expect(disabled.status, disabled.stderr).toBe(0);
  expect(disabled.stdout).toContain('every session ended');
  expect(cli(['disable', 'khong.co.ai']).status).toBe(1);
  await withProvider(async (provider) => {
    expect((await bearerClient(provider.url, token2).call('GET', '/admin/me')).status).toBe(401);
    expect((await signIn(provider, { username: 'thu.tran', password: password! })).status).toBe(401);
    const officer = await provider.database.db.selectFrom('officers').select('id').where('username', '=', 'thu.tran').executeTakeFirstOrThrow();
    const actions = await provider.database.db.selectFrom('audit_events').select(['action', 'actor_type', 'actor_id']).where('subject_id', '=', officer.id).where('actor_id', '=', 'cli').orderBy('id').execute();
    expect(actions.map((a) => a.action)).toEqual(['officer.added', 'officer.unlocked', 'officer.second_factor_reset', 'officer.disabled']);
  });
  expect(cli(['list']).stdout.split('\n').find((line) => line.startsWith('thu.tran '))).toMatch(/disabled\s+totp/);
}, 900_000);

it('enables a disabled officer again, and replaces a forgotten password: sessions end, the old password opens nothing', async () => {
  expect(spawnSync(process.execPath, ['src/cli.ts', 'migrate'], { cwd: ROOT, env: cliEnv(), encoding: 'utf8' }).status).toBe(0);
  const added = cli(['add', 'lan.pham', '--name', 'Phạm Thị Lan', '--role', 'officer', '--unit', 'Công an phường Láng']);
  expect(added.status, added.stderr).toBe(0);
  const first = /initial password[^:]*: (\S+)/.exec(added.stdout)![1]!;
  const secret = await withProvider(async (provider) => {
    const challenge = await signIn(provider, { username: 'lan.pham', password: first });
    expect((await signIn(provider, { enrolment_token: challenge.body.enrolment_token, otp: totpCode(challenge.body.totp.secret, clock.now()) }, '/admin/sessions/enrolment')).status).toBe(201);
    return challenge.body.totp.secret as string;
  });

  // Disabled by mistake (or back from leave): enabled again, with the same password and authenticator.
  expect(cli(['disable', 'lan.pham']).status).toBe(0);
  const enabled = cli(['enable', 'lan.pham']);
  expect(enabled.status, enabled.stderr).toBe(0);
  expect(enabled.stdout).toContain('officer lan.pham enabled');
  expect(cli(['enable', 'lan.pham']).stdout).toContain('was not disabled');
  expect(cli(['enable', 'khong.co.ai']).status).toBe(1);
  expect(cli(['list']).stdout.split('\n').find((line) => line.startsWith('lan.pham '))).toMatch(/active\s+totp/);
  clock.advance(60);
  const session = await withProvider(async (provider) => {
    const signedIn = await signIn(provider, { username: 'lan.pham', password: first, otp: totpCode(secret, clock.now()) });
    expect(signedIn.status).toBe(201);
    return signedIn.body.token as string;
  });

  // The password forgotten: a new one, printed once; the session open with the old one is over.
  const reset = cli(['reset-password', 'lan.pham']);
  expect(reset.status, reset.stderr).toBe(0);
  const second = /new password[^:]*: (\S+)/.exec(reset.stdout)?.[1];
  expect(second).toMatch(/^[A-Za-z0-9_-]{20}$/);
  expect(second).not.toBe(first);
  expect(cli(['reset-password', 'khong.co.ai']).status).toBe(1);
  expect(cli(['reset-password', 'lan.pham', '--password-stdin'], 'ngan\n').status).toBe(2);
  clock.advance(60);
  await withProvider(async (provider) => {
    expect((await bearerClient(provider.url, session).call('GET', '/admin/me')).status).toBe(401);
    expect((await signIn(provider, { username: 'lan.pham', password: first, otp: totpCode(secret, clock.now()) })).status).toBe(401);
    expect((await signIn(provider, { username: 'lan.pham', password: second!, otp: totpCode(secret, clock.now()) })).status).toBe(201);
  });
  // Or one the operator chose, read from stdin and never printed.
  const piped = cli(['reset-password', 'lan.pham', '--password-stdin'], 'Mat-khau-moi-cua-Lan-2026\n');
  expect(piped.status, piped.stderr).toBe(0);
  expect(piped.stdout).not.toContain('Mat-khau-moi-cua-Lan-2026');
  clock.advance(60);
  await withProvider(async (provider) => {
    expect((await signIn(provider, { username: 'lan.pham', password: 'Mat-khau-moi-cua-Lan-2026', otp: totpCode(secret, clock.now()) })).status).toBe(201);
    const officer = await provider.database.db.selectFrom('officers').select('id').where('username', '=', 'lan.pham').executeTakeFirstOrThrow();
    const actions = await provider.database.db.selectFrom('audit_events').select('action').where('subject_id', '=', officer.id).where('actor_id', '=', 'cli').orderBy('id').execute();
    expect(actions.map((a) => a.action)).toEqual(['officer.added', 'officer.disabled', 'officer.enabled', 'officer.password_reset', 'officer.password_reset']);
  });
}, 900_000);
