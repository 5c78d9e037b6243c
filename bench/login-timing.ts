// Does a sign-in with an unknown ID number take as long as one with a known number and a wrong password?
// Both run against the same embedded database in this process, interleaved, so machine load hits both alike.
import { authenticate } from '../src/accounts/authenticate.ts';
import { accountServices } from '../src/accounts/services.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrator.ts';
import { relyingPartiesQueries } from '../src/oidc/relying-parties.ts';
import { SANDBOX_CITIZENS, seedSandbox } from '../src/sandbox/seed.ts';
import { endAccountSessions } from '../src/oidc/grants.ts';

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export async function loginTiming(rounds = 60) {
  const config = loadConfig({});
  const database = await openDatabase({ engine: 'pglite' });
  await migrate(database);
  // Lockout would answer early after a few failures; the bench measures the password check itself.
  const services = accountServices(database.db, { ...config, lockout: { ...config.lockout, maxFailures: 1_000_000 } }, { secret: 'bench', now: () => new Date(), endSessions: endAccountSessions });
  await seedSandbox(database.db, relyingPartiesQueries(database.db), services.passwords, { ...config.sandbox, issuer: config.issuer });
  const known = SANDBOX_CITIZENS[0]!.personalId;
  const unknown = '001090999999';

  const time = async (personalId: string) => {
    const start = process.hrtime.bigint();
    const outcome = await authenticate(services.authentication, { personalId, password: 'wrong-password-123' });
    if (outcome.ok) throw new Error('a wrong password signed in');
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  await time(known); // warm-up: the decoy hash is made on first use
  await time(unknown);
  const knownMs: number[] = [];
  const unknownMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    knownMs.push(await time(known));
    unknownMs.push(await time(unknown));
  }
  await database.close();
  knownMs.sort((a, b) => a - b);
  unknownMs.sort((a, b) => a - b);
  const row = (label: string, xs: number[]) => ({ label, p50: quantile(xs, 0.5), p90: quantile(xs, 0.9) });
  const a = row('known ID, wrong password', knownMs);
  const b = row('unknown ID', unknownMs);
  return { rounds, rows: [a, b], ratioP50: b.p50 / a.p50, argon2: config.argon2 };
}

/**
 * Does the "forgot password" form answer a number with an account as fast as one without? Measured over HTTP
 * against the provider in a process of its own (as a citizen's browser would see it), interleaved; with the
 * resend wait and daily cap lifted, every request for the known number stores a code and queues an SMS. A pause
 * between requests lets that work finish, so it slows neither side.
 */
export async function resetRequestTiming(rounds = 80) {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { freePort } = await import('../test/helpers/provider.ts');
  const { authorizationRequest, relyingParty } = await import('../test/helpers/relying-party.ts');
  const { csrfToken, formAction, UserAgent } = await import('../test/helpers/user-agent.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'dinhdanh-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: new URL('../', import.meta.url).pathname,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', RESET_RESEND_SECONDS: '0', RESET_MAX_CODES_PER_DAY: '100', SIGN_IN_RATE_PER_MINUTE: '100000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let console = '';
  child.stderr.on('data', (chunk) => (console += String(chunk)));
  try {
    for (const deadline = Date.now() + 120_000; !console.includes('test citizens'); await new Promise((r) => setTimeout(r, 100))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`provider did not start:\n${console}`);
    }
    const rp = await relyingParty(url, 'sandbox', 'sandbox-secret-not-for-production');
    const agent = new UserAgent();
    const login = (await agent.follow((await authorizationRequest(rp)).url.href, url)).page!;
    const resetUrl = new URL(formAction(login.html, 'login').replace(/\/login$/, '/reset'), login.url).href;
    const page = (await agent.follow(resetUrl, url)).page!;
    const action = new URL(formAction(page.html, 'password-reset-request'), page.url).href;
    const csrf = csrfToken(page.html);
    const time = async (personalId: string) => {
      await new Promise((r) => setTimeout(r, 30));
      const start = process.hrtime.bigint();
      const response = await agent.request(action, { form: { _csrf: csrf, username: personalId } });
      await response.text();
      if (response.status !== 200) throw new Error(`reset request answered ${response.status}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    // The sandbox's level-1 citizen: a phone on file, and the daily cap per phone (100 here) is never reached.
    const known = SANDBOX_CITIZENS[1]!.personalId;
    const unknown = '001090999999';
    for (let i = 0; i < 10; i++) await time(i % 2 ? known : unknown);
    const knownMs: number[] = [];
    const unknownMs: number[] = [];
    for (let i = 0; i < rounds; i++) {
      knownMs.push(await time(known));
      unknownMs.push(await time(unknown));
    }
    knownMs.sort((a, b) => a - b);
    unknownMs.sort((a, b) => a - b);
    const row = (label: string, xs: number[]) => ({ label, p50: quantile(xs, 0.5), p90: quantile(xs, 0.9) });
    const a = row('number with an account', knownMs);
    const b = row('number without an account', unknownMs);
    return { rounds, rows: [a, b], ratioP50: a.p50 / b.p50 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
