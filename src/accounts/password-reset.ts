// Password reset by a one-time code sent by SMS to the registered phone. Answers never reveal whether an
// ID number has an account; codes are short-lived, tried at most a few times, and stored only as an HMAC.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import type { Accounts } from './accounts.ts';
import type { AccountLifecycle } from './lifecycle.ts';
import type { Lockout } from './lockout.ts';
import { checkPassword, type PasswordProblem } from './password-policy.ts';

export interface PasswordResetDeps {
  db: Kysely<Schema>;
  accounts: Accounts;
  lifecycle: AccountLifecycle;
  lockout: Lockout;
  /** Server secret keying the code hashes, so a copy of the table does not give the codes away. */
  secret: string;
  now: () => Date;
  codeSeconds: number;
  /** A new code is sent at most this often per account. */
  resendSeconds: number;
  maxAttempts: number;
  /** Codes sent to one phone per 24 hours at most: bounds guessing across many codes (and SMS to the victim). */
  maxCodesPerDay: number;
}

// Keyed by the number typed, which is known before the account is looked up (see requestResetCode).
const hashCode = (secret: string, personalId: string, code: string) =>
  createHmac('sha256', secret).update(`reset:${personalId}:${code}`).digest('base64url');

export function resetCodeSms(code: string, minutes: number): string {
  return `Định danh điện tử: mã đặt lại mật khẩu của bạn là ${code}, có hiệu lực ${minutes} phút. Không cung cấp mã này cho bất kỳ ai, kể cả người tự xưng là công an.`;
}

/**
 * Sends a code if the number has an active (or auto-locked) account with a phone; says nothing either way.
 * One statement does every check and write, so that a number with an account costs the same round trips as one
 * without: the answer's timing does not tell them apart (it did, 1.13-1.15x, with a query per step).
 */
export async function requestResetCode(deps: PasswordResetDeps, personalId: string): Promise<void> {
  const now = deps.now();
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(now.getTime() + deps.codeSeconds * 1000);
  const text = resetCodeSms(code, Math.round(deps.codeSeconds / 60));
  await sql`
    WITH account AS (
      SELECT id, phone FROM accounts
      WHERE personal_id = ${personalId} AND phone IS NOT NULL AND status <> 'revoked' AND lock_reason IS DISTINCT FROM 'officer'
    ), allowed AS (
      SELECT account.id, account.phone FROM account
      WHERE NOT EXISTS (
        SELECT 1 FROM password_reset_codes p
        WHERE p.account_id = account.id AND p.created_at > ${new Date(now.getTime() - deps.resendSeconds * 1000)}::timestamptz
      ) AND (
        SELECT count(*) FROM sms_outbox s
        WHERE s.recipient = account.phone AND s.purpose = 'password_reset' AND s.created_at > ${new Date(now.getTime() - 24 * 3600 * 1000)}::timestamptz
      ) < ${deps.maxCodesPerDay}
    ), stored AS (
      INSERT INTO password_reset_codes (account_id, code_hash, expires_at, attempts, created_at)
      SELECT id, ${hashCode(deps.secret, personalId, code)}, ${expiresAt}::timestamptz, 0, ${now}::timestamptz FROM allowed
      ON CONFLICT (account_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0, created_at = excluded.created_at
      RETURNING account_id
    ), queued AS (
      INSERT INTO sms_outbox (recipient, purpose, body, created_at, expires_at)
      SELECT allowed.phone, 'password_reset', ${text}, ${now}::timestamptz, ${expiresAt}::timestamptz FROM allowed JOIN stored ON stored.account_id = allowed.id
      RETURNING id
    )
    INSERT INTO audit_events (actor_type, action, subject_type, subject_id, detail, at)
    SELECT 'system', 'sms.queued', 'sms', id::text, '{"purpose":"password_reset"}'::jsonb, ${now}::timestamptz FROM queued
  `.execute(deps.db);
}

export type ResetOutcome = { ok: true } | { ok: false; problem: 'invalid_code' | PasswordProblem };

export async function resetPassword(
  deps: PasswordResetDeps,
  input: { personalId: string; code: string; password: string; confirmation: string; ip?: string },
): Promise<ResetOutcome> {
  const account = await deps.accounts.findByPersonalId(input.personalId);
  // An officer's lock or a revocation after the code was sent voids it: the code never overrides an officer.
  if (!account || account.status === 'revoked' || account.lockReason === 'officer') return { ok: false, problem: 'invalid_code' };
  // Each try is counted before the code is compared, in one statement, so guesses sent all at once get no
  // more tries than guesses sent one after another.
  const stored = await deps.db
    .updateTable('password_reset_codes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('account_id', '=', account.id)
    .where('attempts', '<', deps.maxAttempts)
    .where('expires_at', '>', deps.now())
    .returning('code_hash')
    .executeTakeFirst();
  if (!stored) return { ok: false, problem: 'invalid_code' };
  const given = Buffer.from(hashCode(deps.secret, account.personalId, input.code.trim()));
  const expected = Buffer.from(stored.code_hash);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, problem: 'invalid_code' };
  // The code was right: a weak new password is the citizen's to fix, the code stays valid for the retry.
  const problem = checkPassword(input.password, input.confirmation, account);
  if (problem) {
    await deps.db.updateTable('password_reset_codes').set((eb) => ({ attempts: eb('attempts', '-', 1) })).where('account_id', '=', account.id).where('attempts', '>', 0).execute();
    return { ok: false, problem };
  }
  await deps.lifecycle.setPassword(account.id, input.password, { actor: { type: 'citizen', id: account.id }, reason: 'reset_by_sms_code', ...(input.ip ? { ip: input.ip } : {}) });
  // Proving the phone lifts a lock from failed sign-ins; an officer's lock stays.
  await deps.lockout.clear(account.personalId);
  if (account.lockReason === 'failed_sign_ins') await deps.lifecycle.liftFailureLock(account.id, { early: true });
  return { ok: true };
}
