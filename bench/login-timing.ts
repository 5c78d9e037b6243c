// Does a sign-in with an unknown ID number take as long as one with a known number and a wrong password?
// Both run against the same embedded database in this process, interleaved, so machine load hits both alike.
import { authenticate } from '../src/accounts/authenticate.ts';
import { requestResetCode } from '../src/accounts/password-reset.ts';
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
  await seedSandbox(database.db, relyingPartiesQueries(database.db), services.passwords, config.sandbox);
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
 * Does asking for a reset code for a number with an account take as long as for a number without? With the
 * resend wait and daily cap lifted, every request for the known number stores a code and queues an SMS.
 */
export async function resetRequestTiming(rounds = 200) {
  const config = loadConfig({});
  const database = await openDatabase({ engine: 'pglite' });
  await migrate(database);
  const services = accountServices(
    database.db,
    { ...config, passwordReset: { ...config.passwordReset, resendSeconds: 0, maxCodesPerDay: 1_000_000 } },
    { secret: 'bench', now: () => new Date(), endSessions: endAccountSessions },
  );
  await seedSandbox(database.db, relyingPartiesQueries(database.db), services.passwords, config.sandbox);
  const time = async (personalId: string) => {
    const start = process.hrtime.bigint();
    await requestResetCode(services.passwordReset, personalId);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const known = SANDBOX_CITIZENS[0]!.personalId;
  const unknown = '001090999999';
  for (let i = 0; i < 20; i++) await time(i % 2 ? known : unknown);
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
  const a = row('number with an account', knownMs);
  const b = row('number without an account', unknownMs);
  return { rounds, rows: [a, b], ratioP50: a.p50 / b.p50 };
}
