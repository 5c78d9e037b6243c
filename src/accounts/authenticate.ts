// Checks a personal ID number and password. Every failure a stranger can provoke looks and takes the same,
// so nobody learns which ID numbers have accounts; account-specific answers come only after the right password.
import type { Accounts, CitizenAccount } from './accounts.ts';
import type { AccountLifecycle } from './lifecycle.ts';
import type { Lockout } from './lockout.ts';
import type { PasswordHasher } from './passwords.ts';

export type Authentication =
  | { ok: true; account: CitizenAccount }
  | { ok: false; reason: 'malformed_id' }
  // accountId: whose password was wrong, for the audit trail only (written after the answer, never shown).
  | { ok: false; reason: 'invalid_credentials'; accountId?: string }
  | { ok: false; reason: 'throttled'; until: Date; accountId?: string }
  | { ok: false; reason: 'locked' | 'revoked'; account: CitizenAccount };

export interface AuthenticationDeps {
  accounts: Accounts;
  passwords: PasswordHasher;
  lockout: Lockout;
  lifecycle: AccountLifecycle;
}

/** Accepts the number as people type it: spaces, dots and dashes between digits are ignored. */
export function normalizePersonalId(input: string): string {
  return input.replace(/[\s.\-]/g, '');
}

export async function authenticate(
  deps: AuthenticationDeps,
  input: { personalId: string; password: string },
): Promise<Authentication> {
  const personalId = normalizePersonalId(input.personalId);
  // The format is public knowledge: saying "12 digits" reveals nothing about who has an account.
  if (!/^\d{12}$/.test(personalId)) return { ok: false, reason: 'malformed_id' };

  // The attempt is counted before the password is checked: a burst of parallel guesses gets no more checks
  // than the lockout allows.
  // The account is read in the same statement (one round trip), and not at all while a lock is in force.
  const { attempt, found: account } = await deps.lockout.beginAttemptReading(personalId, deps.accounts.byPersonalId);
  if ('locked' in attempt) return { ok: false, reason: 'throttled', until: attempt.locked };

  const matches = account
    ? await deps.passwords.verify(account.passwordHash, input.password)
    : (await deps.passwords.verifyNothing(input.password), false);
  if (!account || !matches) {
    const until = await deps.lockout.recordFailure(personalId, attempt.attempt);
    if (until && account) await deps.lifecycle.lockForFailures(account.id, until);
    const whose = account ? { accountId: account.id } : {};
    return until ? { ok: false, reason: 'throttled', until, ...whose } : { ok: false, reason: 'invalid_credentials', ...whose };
  }

  await deps.lockout.clear(personalId);
  if (account.status === 'locked' && account.lockReason === 'failed_sign_ins' && (await deps.lifecycle.liftFailureLock(account.id, { early: false }))) {
    return { ok: true, account: { ...account, status: 'active', lockReason: null, lockedUntil: null } };
  }
  if (account.status === 'locked') return { ok: false, reason: 'locked', account };
  if (account.status === 'revoked') return { ok: false, reason: 'revoked', account };
  return { ok: true, account };
}
