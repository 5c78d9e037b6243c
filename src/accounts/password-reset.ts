// Password reset by a one-time code sent by SMS to the registered phone. Answers never reveal whether an
// ID number has an account; codes are short-lived, tried at most a few times, and stored only as an HMAC.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { queueSms } from '../notify/sms.ts';
import type { Schema } from '../db/schema.ts';
import { underAccountLock, type Accounts } from './accounts.ts';
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

const hashCode = (secret: string, accountId: string, code: string) =>
  createHmac('sha256', secret).update(`${accountId}:${code}`).digest('base64url');

export function resetCodeSms(code: string, minutes: number): string {
  return `Định danh điện tử: mã đặt lại mật khẩu của bạn là ${code}, có hiệu lực ${minutes} phút. Không cung cấp mã này cho bất kỳ ai, kể cả người tự xưng là công an.`;
}

/**
 * Sends a code if the number has an active (or auto-locked) account with a phone; says nothing either way.
 * Callers run it after answering (the writes it does for a real account would make the answer measurably
 * slower than for an unknown number: 3.6x in bench/login-timing.ts when it was answered inline).
 * `now` is when the citizen asked: the resend and daily limits count from the request, not from whenever
 * the work after the answer got to run.
 */
export async function requestResetCode(deps: PasswordResetDeps, personalId: string, now = deps.now()): Promise<void> {
  const account = await deps.accounts.findByPersonalId(personalId);
  if (!account?.phone || account.status === 'revoked' || account.lockReason === 'officer') return;
  // Checked and sent under the account row's lock: requests sent all at once (8 in parallel sent 8 SMS
  // before) wait for each other, so the resend and daily limits hold.
  await underAccountLock(deps.db, account.id, async (trx, locked) => {
    // The phone as it is now: a desk change since the read above sends nothing to the old one.
    const phone = locked?.phone;
    if (!phone || locked.status === 'revoked' || locked.lockReason === 'officer') return;
    const existing = await trx.selectFrom('password_reset_codes').select('created_at').where('account_id', '=', account.id).executeTakeFirst();
    if (existing && now.getTime() - existing.created_at.getTime() < deps.resendSeconds * 1000) return;
    const { sentToday } = await trx
      .selectFrom('sms_outbox')
      .select((eb) => eb.fn.countAll<number>().as('sentToday'))
      .where('recipient', '=', phone)
      .where('purpose', '=', 'password_reset')
      .where('created_at', '>', new Date(now.getTime() - 24 * 3600 * 1000))
      .executeTakeFirstOrThrow();
    if (Number(sentToday) >= deps.maxCodesPerDay) return;
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const row = { code_hash: hashCode(deps.secret, account.id, code), expires_at: new Date(now.getTime() + deps.codeSeconds * 1000), attempts: 0, created_at: now };
    await trx.insertInto('password_reset_codes').values({ account_id: account.id, ...row }).onConflict((oc) => oc.column('account_id').doUpdateSet(row)).execute();
    await queueSms(trx, { to: phone, purpose: 'password_reset', text: resetCodeSms(code, Math.round(deps.codeSeconds / 60)), at: now, expiresAt: row.expires_at });
  });
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
  const given = Buffer.from(hashCode(deps.secret, account.id, input.code.trim()));
  const expected = Buffer.from(stored.code_hash);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, problem: 'invalid_code' };
  // The code was right: a weak new password is the citizen's to fix, the code stays valid for the retry.
  const problem = checkPassword(input.password, input.confirmation, account);
  if (problem) {
    await deps.db.updateTable('password_reset_codes').set((eb) => ({ attempts: eb('attempts', '-', 1) })).where('account_id', '=', account.id).where('attempts', '>', 0).execute();
    return { ok: false, problem };
  }
  // The code is used up with the password it sets, in one transaction: of several requests carrying it at once,
  // one resets the password and the others find no code.
  const set = await deps.lifecycle.setPassword(account.id, input.password, {
    actor: { type: 'citizen', id: account.id },
    reason: 'reset_by_sms_code',
    resetCodeHash: stored.code_hash,
    ...(input.ip ? { ip: input.ip } : {}),
  });
  if (!set) return { ok: false, problem: 'invalid_code' };
  // Proving the phone lifts a lock from failed sign-ins; an officer's lock stays.
  await deps.lockout.clear(account.personalId);
  if (account.lockReason === 'failed_sign_ins') await deps.lifecycle.liftFailureLock(account.id, { early: true });
  return { ok: true };
}
