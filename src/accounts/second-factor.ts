// The second factor for level 2: a 6-digit code sent by SMS to the registered phone, bound to one sign-in
// (interaction). Valid a few minutes, tried a few times, resent with a growing wait; stored only as an HMAC.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { underAccountLock } from './accounts.ts';
import type { Schema } from '../db/schema.ts';
import { recordAudit } from '../audit/audit.ts';
import { queueSms } from '../notify/sms.ts';
import { allowanceSpent, refundAllowance, takeAllowance } from './code-allowance.ts';

export interface SecondFactorPolicy {
  codeSeconds: number;
  maxAttempts: number;
  /** Wait before the first resend; doubles with each further one. */
  resendBaseSeconds: number;
  maxSends: number;
  /** Codes sent to one account's phone in 24 hours, over all its sign-ins. */
  maxCodesPerDay: number;
  /** Wrong codes one account may try in 24 hours, over all its sign-ins. */
  maxWrongPerDay: number;
}

export interface SecondFactorDeps extends SecondFactorPolicy {
  db: Kysely<Schema>;
  secret: string;
  now: () => Date;
}

const hash = (secret: string, uid: string, code: string) => createHmac('sha256', secret).update(`otp:${uid}:${code}`).digest('base64url');
const newCode = () => String(randomInt(0, 1_000_000)).padStart(6, '0');

export function signInCodeSms(code: string, minutes: number): string {
  return `Định danh điện tử: mã xác thực đăng nhập của bạn là ${code}, hiệu lực ${minutes} phút. Không cung cấp mã này cho bất kỳ ai.`;
}

/**
 * Sends a code for this sign-in unless one is already live for the same account ('live'). 'daily_limit': the account's
 * phone got all the codes it may get today, or the account got all the codes wrong it may today (no code would be
 * checked), and nothing was sent.
 */
export async function startSecondFactor(deps: SecondFactorDeps, input: CodeRecipient): Promise<'sent' | 'live' | 'daily_limit'> {
  const now = deps.now();
  // Under the account row's lock: a replayed sign-in POST does not send a second code.
  return underAccountLock(deps.db, input.accountId, async (trx, locked) => {
    // The phone as it is now (a desk change may have come since the caller read it).
    if (!locked?.phone) return 'daily_limit';
    const live = await trx.selectFrom('sign_in_codes').select(['account_id', 'expires_at']).where('interaction_uid', '=', input.uid).executeTakeFirst();
    if (live && live.account_id === input.accountId && live.expires_at > now) return 'live';
    if (await allowanceSpent(trx, input.accountId, 'wrong_codes', deps.maxWrongPerDay, now)) return 'daily_limit';
    if (!(await takeAllowance(trx, input.accountId, 'codes_sent', deps.maxCodesPerDay, now))) return 'daily_limit';
    await send(trx, deps, { ...input, phone: locked.phone }, 1, now);
    return 'sent';
  });
}

/** Whom a code goes to; `text` words the SMS for another purpose than sign-in (binding an app device). */
export interface CodeRecipient {
  uid: string;
  accountId: string;
  phone: string;
  text?: (code: string, minutes: number) => string;
}

async function send(trx: Transaction<Schema>, deps: SecondFactorDeps, input: CodeRecipient, sends: number, now: Date) {
  const code = newCode();
  const row = { account_id: input.accountId, code_hash: hash(deps.secret, input.uid, code), expires_at: new Date(now.getTime() + deps.codeSeconds * 1000), attempts: 0, sends, last_sent_at: now };
  await trx.insertInto('sign_in_codes').values({ interaction_uid: input.uid, ...row }).onConflict((oc) => oc.column('interaction_uid').doUpdateSet(row)).execute();
  await queueSms(trx, { to: input.phone, purpose: 'sign_in_code', text: (input.text ?? signInCodeSms)(code, Math.round(deps.codeSeconds / 60)), at: now, expiresAt: row.expires_at });
}

/** Seconds until another code may be sent for this sign-in (0: now), or null when no more will be sent. */
export async function resendWait(deps: SecondFactorDeps, uid: string): Promise<number | null> {
  return waitFor(deps, await sendsSoFar(deps.db, uid), deps.now());
}

const sendsSoFar = (db: Kysely<Schema>, uid: string) => db.selectFrom('sign_in_codes').select(['sends', 'last_sent_at']).where('interaction_uid', '=', uid).executeTakeFirst();

function waitFor(policy: SecondFactorPolicy, row: { sends: number; last_sent_at: Date } | undefined, now: Date): number | null {
  if (!row) return 0;
  if (row.sends >= policy.maxSends) return null;
  const wait = policy.resendBaseSeconds * 2 ** (row.sends - 1);
  return Math.max(0, Math.ceil((row.last_sent_at.getTime() + wait * 1000 - now.getTime()) / 1000));
}

export async function resendSecondFactor(
  deps: SecondFactorDeps,
  input: { uid: string; accountId: string; phone: string },
): Promise<{ sent: boolean; wait: number | null; dailyLimit?: true }> {
  const now = deps.now();
  // Under the account row's lock: of several "send a new code" at once, one finds the wait over.
  return underAccountLock(deps.db, input.accountId, async (trx, locked) => {
    if (!locked?.phone) return { sent: false, wait: null };
    const before = await sendsSoFar(trx, input.uid);
    const wait = waitFor(deps, before, now);
    if (wait !== 0) return { sent: false, wait };
    const spent =
      (await allowanceSpent(trx, input.accountId, 'wrong_codes', deps.maxWrongPerDay, now)) ||
      !(await takeAllowance(trx, input.accountId, 'codes_sent', deps.maxCodesPerDay, now));
    if (spent) return { sent: false, wait: null, dailyLimit: true as const };
    const sends = (before?.sends ?? 0) + 1;
    await send(trx, deps, { ...input, phone: locked.phone }, sends, now);
    return { sent: true, wait: waitFor(deps, { sends, last_sent_at: now }, now) };
  });
}

export type CodeCheck = { ok: true } | { ok: false; problem: 'malformed' | 'wrong' | 'expired' | 'too_many' | 'daily_limit'; attemptsLeft: number };

/**
 * The six digits of a code as typed or pasted: spaces, dots and dashes between groups are dropped and full-width
 * digits read as digits; undefined when that is not six digits.
 */
export function codeDigits(typed: string): string | undefined {
  const digits = typed.normalize('NFKC').replace(/[\s.\-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : undefined;
}

/**
 * Checks a code. Each try is counted before the comparison, in this sign-in and then in the account's daily
 * allowance, each in one statement: however many sign-ins are started and however many guesses arrive at once, an account
 * gets at most maxWrongPerDay wrong codes a day. What is not six digits is no guess, and costs no try.
 */
export async function verifySecondFactor(deps: SecondFactorDeps, input: { uid: string; accountId: string; code: string }): Promise<CodeCheck> {
  const now = deps.now();
  const code = codeDigits(input.code);
  if (code === undefined) return { ok: false, problem: 'malformed', attemptsLeft: 0 };
  // The sign-in's own count first: of many guesses at once, only those it still allows go on to the daily
  // allowance, so a burst cannot make the account look spent for the day when it is not.
  const row = await deps.db
    .updateTable('sign_in_codes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('interaction_uid', '=', input.uid)
    .where('account_id', '=', input.accountId)
    .where('expires_at', '>', now)
    .where('attempts', '<', deps.maxAttempts)
    .returning(['code_hash', 'attempts'])
    .executeTakeFirst();
  if (!row) {
    // Nothing will be compared: not a guess.
    const stored = await deps.db.selectFrom('sign_in_codes').select(['account_id', 'expires_at']).where('interaction_uid', '=', input.uid).executeTakeFirst();
    const live = stored && stored.account_id === input.accountId && stored.expires_at > now;
    return { ok: false, problem: live ? 'too_many' : 'expired', attemptsLeft: 0 };
  }
  if (!(await takeAllowance(deps.db, input.accountId, 'wrong_codes', deps.maxWrongPerDay, now))) {
    await recordAudit(deps.db, { actor: { type: 'citizen', id: input.accountId }, action: 'account.sign_in_codes_exhausted', subject: { type: 'account', id: input.accountId }, at: now });
    return { ok: false, problem: 'daily_limit', attemptsLeft: 0 };
  }
  const given = Buffer.from(hash(deps.secret, input.uid, code));
  const expected = Buffer.from(row.code_hash);
  if (given.length === expected.length && timingSafeEqual(given, expected)) {
    // Used once: the same code never completes a second sign-in. The right code was no wrong guess.
    await deps.db.deleteFrom('sign_in_codes').where('interaction_uid', '=', input.uid).execute();
    await refundAllowance(deps.db, input.accountId, 'wrong_codes');
    return { ok: true };
  }
  const attemptsLeft = Math.max(0, deps.maxAttempts - row.attempts);
  await recordAudit(deps.db, { actor: { type: 'citizen', id: input.accountId }, action: 'account.sign_in_code_wrong', subject: { type: 'account', id: input.accountId }, detail: { attemptsLeft }, at: now });
  return { ok: false, problem: attemptsLeft === 0 ? 'too_many' : 'wrong', attemptsLeft };
}

export async function purgeSignInCodes(db: Kysely<Schema>, now: Date): Promise<void> {
  await db.deleteFrom('sign_in_codes').where('expires_at', '<=', now).execute();
}
