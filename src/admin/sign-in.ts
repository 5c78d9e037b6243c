// Officer sign-in: password and a current TOTP code, a per-username lockout counted before anything is checked,
// and the enrolment of the authenticator at the first sign-in.
//
// What a guesser learns: every failure (unknown name, wrong password, disabled, missing, wrong or replayed
// code) gets the same answer, after the same argon2 work, and counts toward the same lock. So a password
// cannot be tried apart from a code. The one exception is by design: an officer who never enrolled gets the
// enrolment challenge for the right password (enrolment at first sign-in needs it); new officers get a
// one-time password from the CLI, so that window closes at their first sign-in.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Lockout } from '../accounts/lockout.ts';
import type { PasswordHasher } from '../accounts/passwords.ts';
import { recordAudit } from '../audit/audit.ts';
import type { Schema } from '../db/schema.ts';
import { openSession, tokenHash, type OfficerIdentity } from './officers.ts';
import { matchingStep, newTotpSecret, totpUri, type TotpSealer } from './totp.ts';

export interface OfficerSignInDeps {
  db: Kysely<Schema>;
  passwords: PasswordHasher;
  /** Counts by username (officer_sign_in_failures). */
  lockout: Lockout;
  sealer: TotpSealer;
  now: () => Date;
  sessionSeconds: number;
}

/** How long the enrolment token proves the password: time to open an authenticator app and scan. */
export const ENROLMENT_SECONDS = 600;

export type SignInOutcome =
  | { kind: 'session'; token: string; expiresAt: Date; officer: OfficerIdentity }
  | { kind: 'enrolment'; token: string; expiresAt: Date; secret: string; uri: string }
  | { kind: 'refused'; officerId?: string | undefined; lockedUntil: Date | null }
  | { kind: 'locked'; until: Date };

const OFFICER_COLUMNS = ['id', 'username', 'full_name as fullName', 'role', 'police_unit as policeUnit', 'disabled_at', 'totp_secret', 'totp_confirmed_at', 'password_hash'] as const;

export async function signIn(deps: OfficerSignInDeps, input: { username: string; password: string; otp?: string | undefined; ip: string }): Promise<SignInOutcome> {
  const { db, passwords, lockout } = deps;
  const login = input.username.toLowerCase();
  const attempt = await lockout.beginAttempt(login);
  if ('locked' in attempt) return { kind: 'locked', until: attempt.locked };

  const officer = await db.selectFrom('officers').select(OFFICER_COLUMNS).where('username', '=', login).executeTakeFirst();
  const passwordRight = officer ? await passwords.verify(officer.password_hash, input.password) : await passwords.verifyNothing(input.password).then(() => false);

  const refuse = async (): Promise<SignInOutcome> => {
    const lockedUntil = await lockout.recordFailure(login, attempt.attempt);
    if (lockedUntil) await auditLock(deps, officer?.id, lockedUntil, input.ip);
    return { kind: 'refused', officerId: officer?.id, lockedUntil };
  };
  if (!officer || !passwordRight || officer.disabled_at) return refuse();

  if (!officer.totp_confirmed_at || !officer.totp_secret) {
    await lockout.clear(login);
    const enrolment = await startEnrolment(deps, officer.id, officer.username);
    // Enrolled meanwhile (from another tab or by someone else with the password): from now on a code is needed.
    return enrolment ?? { kind: 'refused', officerId: officer.id, lockedUntil: null };
  }
  const step = input.otp === undefined ? null : matchingStep(deps.sealer.open(officer.totp_secret), input.otp, deps.now());
  if (step === null || !(await useStep(db, officer.id, step))) return refuse();

  await lockout.clear(login);
  const { disabled_at: _d, totp_secret: _s, totp_confirmed_at: _c, password_hash: _h, ...identity } = officer;
  const session = await openSession(db, officer.id, { sessionSeconds: deps.sessionSeconds, now: deps.now() });
  await recordAudit(db, { actor: { type: 'officer', id: officer.id }, action: 'officer.signed_in', subject: { type: 'officer', id: officer.id }, detail: { second_factor: 'totp' }, ip: input.ip, at: deps.now() });
  return { kind: 'session', ...session, officer: identity };
}

/** A code is good once: only a step newer than the last accepted one moves the mark, atomically. */
async function useStep(db: Kysely<Schema>, officerId: string, step: number): Promise<boolean> {
  const moved = await db
    .updateTable('officers')
    .set({ totp_last_step: step })
    .where('id', '=', officerId)
    .where((w) => w.or([w('totp_last_step', 'is', null), w('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(moved.numUpdatedRows) === 1;
}

/** A new enrolment, or undefined when the officer finished one since the sign-in read the officer. */
async function startEnrolment(deps: OfficerSignInDeps, officerId: string, username: string): Promise<SignInOutcome | undefined> {
  const secret = newTotpSecret();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(deps.now().getTime() + ENROLMENT_SECONDS * 1000);
  return deps.db.transaction().execute(async (trx) => {
    // Under the officer row's lock, which a confirmation takes too: a sign-in that read the officer before an
    // enrolment was confirmed cannot start a new one after it.
    const officer = await trx.selectFrom('officers').select('totp_confirmed_at').where('id', '=', officerId).forUpdate().executeTakeFirst();
    if (!officer || officer.totp_confirmed_at) return undefined;
    // One enrolment per officer: a new sign-in replaces an unfinished one.
    await trx
      .insertInto('officer_totp_enrolments')
      .values({ token_hash: tokenHash(token), officer_id: officerId, totp_secret: deps.sealer.seal(secret), expires_at: expiresAt })
      .onConflict((oc) => oc.column('officer_id').doUpdateSet((eb) => ({ token_hash: eb.ref('excluded.token_hash'), totp_secret: eb.ref('excluded.totp_secret'), expires_at: eb.ref('excluded.expires_at') })))
      .execute();
    return { kind: 'enrolment' as const, token, expiresAt, secret, uri: totpUri(secret, username) };
  });
}

export type EnrolmentOutcome = Exclude<SignInOutcome, { kind: 'enrolment' }> | { kind: 'unknown_enrolment' } | { kind: 'wrong_code'; lockedUntil: Date | null };

/** Confirms an enrolment with a current code from the new secret; only then is a session opened. */
export async function confirmEnrolment(deps: OfficerSignInDeps, input: { enrolmentToken: string; otp: string; ip: string }): Promise<EnrolmentOutcome> {
  const { db, lockout } = deps;
  const now = deps.now();
  const enrolment = await db
    .selectFrom('officer_totp_enrolments as e')
    .innerJoin('officers as o', 'o.id', 'e.officer_id')
    .select(['e.officer_id', 'e.totp_secret', 'o.username', 'o.disabled_at'])
    .where('e.token_hash', '=', tokenHash(input.enrolmentToken))
    .where('e.expires_at', '>', now)
    .executeTakeFirst();
  if (!enrolment || enrolment.disabled_at) return { kind: 'unknown_enrolment' };
  const attempt = await lockout.beginAttempt(enrolment.username);
  if ('locked' in attempt) return { kind: 'locked', until: attempt.locked };

  const step = matchingStep(deps.sealer.open(enrolment.totp_secret), input.otp, now);
  if (step === null) {
    const lockedUntil = await lockout.recordFailure(enrolment.username, attempt.attempt);
    if (lockedUntil) {
      // A lock ends the enrolment too: after it, the password is needed again.
      await db.deleteFrom('officer_totp_enrolments').where('officer_id', '=', enrolment.officer_id).execute();
      await auditLock(deps, enrolment.officer_id, lockedUntil, input.ip);
    }
    return { kind: 'wrong_code', lockedUntil };
  }

  const outcome = await db.transaction().execute(async (trx) => {
    const taken = await trx.deleteFrom('officer_totp_enrolments').where('token_hash', '=', tokenHash(input.enrolmentToken)).executeTakeFirst();
    // Two confirmations at once: one wins.
    if (Number(taken.numDeletedRows) !== 1) return undefined;
    const officer = await trx
      .updateTable('officers')
      .set({ totp_secret: enrolment.totp_secret, totp_confirmed_at: now, totp_last_step: step })
      .where('id', '=', enrolment.officer_id)
      .where('disabled_at', 'is', null)
      // An authenticator once confirmed is replaced only through an officer's reset, never by a stale enrolment.
      .where('totp_confirmed_at', 'is', null)
      .returning(['id', 'username', 'full_name as fullName', 'role', 'police_unit as policeUnit'])
      .executeTakeFirst();
    if (!officer) return undefined;
    await recordAudit(trx, { actor: { type: 'officer', id: officer.id }, action: 'officer.second_factor_enrolled', subject: { type: 'officer', id: officer.id }, detail: { method: 'totp' }, ip: input.ip, at: now });
    return { officer, session: await openSession(trx, officer.id, { sessionSeconds: deps.sessionSeconds, now }) };
  });
  if (!outcome) return { kind: 'unknown_enrolment' };
  await lockout.clear(enrolment.username);
  return { kind: 'session', ...outcome.session, officer: outcome.officer };
}

/** Locks of a real officer's name are on the officer's audit trail; a lock of a name no officer has is not personal. */
async function auditLock(deps: OfficerSignInDeps, officerId: string | undefined, until: Date, ip: string): Promise<void> {
  await recordAudit(deps.db, {
    actor: { type: 'system' },
    action: 'officer.locked',
    ...(officerId ? { subject: { type: 'officer', id: officerId } } : {}),
    detail: { reason: 'failed_sign_ins', locked_until: until.toISOString(), known_officer: officerId !== undefined },
    ip,
    at: deps.now(),
  });
}
