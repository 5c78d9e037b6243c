// The account services one app instance uses, wired once from configuration, database and clock.
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import type { Schema } from '../db/schema.ts';
import { accountQueries, type Accounts } from './accounts.ts';
import type { AuthenticationDeps } from './authenticate.ts';
import { accountLifecycle, type AccountLifecycle, type EndSessions } from './lifecycle.ts';
import { lockoutQueries, type Lockout } from './lockout.ts';
import type { PasswordResetDeps } from './password-reset.ts';
import { passwordHasher, type PasswordHasher } from './passwords.ts';
import type { RegistrationDeps } from './registration.ts';
import type { SecondFactorDeps } from './second-factor.ts';

export interface AccountServices {
  accounts: Accounts;
  passwords: PasswordHasher;
  lockout: Lockout;
  lifecycle: AccountLifecycle;
  authentication: AuthenticationDeps;
  registration: RegistrationDeps;
  passwordReset: PasswordResetDeps;
  secondFactor: SecondFactorDeps;
  now: () => Date;
}

export function accountServices(
  db: Kysely<Schema>,
  config: Config,
  options: { secret: string; now: () => Date; endSessions: EndSessions; observePasswords?: (hasher: PasswordHasher) => PasswordHasher },
): AccountServices {
  const { now } = options;
  const accounts = accountQueries(db);
  // Observed (the metrics count hashes in flight) before anything holds it.
  const hasher = passwordHasher(config.argon2);
  const passwords = options.observePasswords ? options.observePasswords(hasher) : hasher;
  const lockout = lockoutQueries(db, config.lockout, now);
  const lifecycle = accountLifecycle(db, passwords, now, options.endSessions);
  return {
    accounts,
    passwords,
    lockout,
    lifecycle,
    authentication: { accounts, passwords, lockout, lifecycle },
    registration: { db, passwords, now },
    passwordReset: { db, accounts, lifecycle, lockout, secret: options.secret, now, ...config.passwordReset },
    secondFactor: { db, secret: options.secret, now, ...config.secondFactor },
    now,
  };
}
