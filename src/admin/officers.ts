// Police officers and supervisors of the registration desk, their API sessions (opaque bearer tokens), and the
// changes an operator makes to them (add, disable and enable, unlock, reset the password or the second factor).
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type AuditEvent } from '../audit/audit.ts';
import type { PasswordHasher } from '../accounts/passwords.ts';
import type { OfficerRole, Schema } from '../db/schema.ts';

export interface OfficerIdentity {
  id: string;
  username: string;
  fullName: string;
  role: OfficerRole;
  policeUnit: string;
}

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export const USERNAME = /^[a-z0-9._-]{3,64}$/;

export async function createOfficer(
  db: Kysely<Schema>,
  passwords: PasswordHasher,
  input: { username: string; fullName: string; role: OfficerRole; policeUnit: string; password: string },
  audit?: Pick<AuditEvent, 'actor' | 'at'>,
): Promise<OfficerIdentity> {
  const passwordHash = await passwords.hash(input.password);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('officers')
      .values({ username: input.username, full_name: input.fullName, role: input.role, police_unit: input.policeUnit, password_hash: passwordHash })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (audit) await recordAudit(trx, { ...audit, action: 'officer.added', subject: { type: 'officer', id: row.id }, detail: { role: input.role } });
    return { id: row.id, username: input.username, fullName: input.fullName, role: input.role, policeUnit: input.policeUnit };
  });
}

/** Opens an API session for an officer whose sign-in is complete. */
export async function openSession(
  db: Kysely<Schema> | Transaction<Schema>,
  officerId: string,
  input: { sessionSeconds: number; now: Date },
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(input.now.getTime() + input.sessionSeconds * 1000);
  await db.insertInto('officer_sessions').values({ token_hash: tokenHash(token), officer_id: officerId, expires_at: expiresAt, created_at: input.now }).execute();
  return { token, expiresAt };
}

export async function officerForToken(db: Kysely<Schema>, token: string, now: Date): Promise<OfficerIdentity | undefined> {
  return db
    .selectFrom('officer_sessions as s')
    .innerJoin('officers as o', 'o.id', 's.officer_id')
    .select(['o.id', 'o.username', 'o.full_name as fullName', 'o.role', 'o.police_unit as policeUnit'])
    .where('s.token_hash', '=', tokenHash(token))
    .where('s.expires_at', '>', now)
    .where('o.disabled_at', 'is', null)
    .executeTakeFirst();
}

export async function signOutOfficer(db: Kysely<Schema>, token: string): Promise<void> {
  await db.deleteFrom('officer_sessions').where('token_hash', '=', tokenHash(token)).execute();
}

/** Housekeeping: expired sessions and enrolments, and failure counts a day old that hold no lock. */
export async function purgeOfficerSessions(db: Kysely<Schema>, now: Date): Promise<void> {
  await db.deleteFrom('officer_sessions').where('expires_at', '<=', now).execute();
  await db.deleteFrom('officer_totp_enrolments').where('expires_at', '<=', now).execute();
  // A day is the longest lockout window the configuration allows.
  await db
    .deleteFrom('officer_sign_in_failures')
    .where('window_started_at', '<=', new Date(now.getTime() - 86_400_000))
    .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
    .execute();
}

export interface OfficerListing extends OfficerIdentity {
  disabled: boolean;
  secondFactor: 'enrolled' | 'not_enrolled';
  lockedUntil: Date | null;
}

export async function listOfficers(db: Kysely<Schema>, now: Date): Promise<OfficerListing[]> {
  const rows = await db
    .selectFrom('officers as o')
    .leftJoin('officer_sign_in_failures as f', (join) => join.onRef('f.username', '=', 'o.username').on('f.locked_until', '>', now))
    .select(['o.id', 'o.username', 'o.full_name as fullName', 'o.role', 'o.police_unit as policeUnit', 'o.disabled_at', 'o.totp_confirmed_at', 'f.locked_until'])
    .orderBy('o.username')
    .execute();
  return rows.map(({ disabled_at, totp_confirmed_at, locked_until, ...identity }) => ({
    ...identity,
    disabled: disabled_at !== null,
    secondFactor: totp_confirmed_at ? 'enrolled' : 'not_enrolled',
    lockedUntil: locked_until ?? null,
  }));
}

type Change = Pick<AuditEvent, 'actor' | 'ip'> & { now: Date };

async function officerNamed(trx: Transaction<Schema>, username: string) {
  return trx.selectFrom('officers').select(['id', 'disabled_at']).where('username', '=', username.toLowerCase()).forUpdate().executeTakeFirst();
}

async function endSessions(trx: Transaction<Schema>, officerId: string): Promise<number> {
  await trx.deleteFrom('officer_totp_enrolments').where('officer_id', '=', officerId).execute();
  const ended = await trx.deleteFrom('officer_sessions').where('officer_id', '=', officerId).executeTakeFirst();
  return Number(ended.numDeletedRows);
}

/** Disables an officer and ends every session at once. 'unknown' if no such officer, 'already' if disabled. */
export async function disableOfficer(db: Kysely<Schema>, username: string, change: Change): Promise<'disabled' | 'already' | 'unknown'> {
  return db.transaction().execute(async (trx) => {
    const officer = await officerNamed(trx, username);
    if (!officer) return 'unknown';
    const sessionsEnded = await endSessions(trx, officer.id);
    if (officer.disabled_at) return 'already';
    await trx.updateTable('officers').set({ disabled_at: change.now }).where('id', '=', officer.id).execute();
    await recordAudit(trx, { ...change, at: change.now, action: 'officer.disabled', subject: { type: 'officer', id: officer.id }, detail: { sessions_ended: sessionsEnded } });
    return 'disabled';
  });
}

/** Lets a disabled officer sign in again (the same password and authenticator). 'already' if not disabled. */
export async function enableOfficer(db: Kysely<Schema>, username: string, change: Change): Promise<'enabled' | 'already' | 'unknown'> {
  return db.transaction().execute(async (trx) => {
    const officer = await officerNamed(trx, username);
    if (!officer) return 'unknown';
    if (!officer.disabled_at) return 'already';
    await trx.updateTable('officers').set({ disabled_at: null }).where('id', '=', officer.id).execute();
    await recordAudit(trx, { ...change, at: change.now, action: 'officer.enabled', subject: { type: 'officer', id: officer.id } });
    return 'enabled';
  });
}

/**
 * Gives a forgotten password a replacement: every session ends (whoever knew the old one is out) and failures
 * counted against the name are forgotten, so the officer can sign in with the new one at once.
 */
export async function resetOfficerPassword(db: Kysely<Schema>, passwords: PasswordHasher, username: string, password: string, change: Change): Promise<'reset' | 'unknown'> {
  const passwordHash = await passwords.hash(password);
  return db.transaction().execute(async (trx) => {
    const officer = await officerNamed(trx, username);
    if (!officer) return 'unknown';
    const sessionsEnded = await endSessions(trx, officer.id);
    await trx.updateTable('officers').set({ password_hash: passwordHash }).where('id', '=', officer.id).execute();
    await trx.deleteFrom('officer_sign_in_failures').where('username', '=', username.toLowerCase()).execute();
    await recordAudit(trx, { ...change, at: change.now, action: 'officer.password_reset', subject: { type: 'officer', id: officer.id }, detail: { sessions_ended: sessionsEnded } });
    return 'reset';
  });
}

/** Forgets the officer's second factor (a lost phone): the next sign-in enrols anew. Sessions end too. */
export async function resetSecondFactor(db: Kysely<Schema>, username: string, change: Change): Promise<'reset' | 'unknown'> {
  return db.transaction().execute(async (trx) => {
    const officer = await officerNamed(trx, username);
    if (!officer) return 'unknown';
    const sessionsEnded = await endSessions(trx, officer.id);
    await trx.updateTable('officers').set({ totp_secret: null, totp_confirmed_at: null, totp_last_step: null }).where('id', '=', officer.id).execute();
    await recordAudit(trx, { ...change, at: change.now, action: 'officer.second_factor_reset', subject: { type: 'officer', id: officer.id }, detail: { sessions_ended: sessionsEnded } });
    return 'reset';
  });
}

/** Lifts a sign-in lock on a username. 'unknown' if no such officer, 'not_locked' if there was none. */
export async function unlockOfficer(db: Kysely<Schema>, username: string, change: Change): Promise<'unlocked' | 'not_locked' | 'unknown'> {
  return db.transaction().execute(async (trx) => {
    const officer = await officerNamed(trx, username);
    if (!officer) return 'unknown';
    const lifted = await trx.deleteFrom('officer_sign_in_failures').where('username', '=', username.toLowerCase()).where('locked_until', '>', change.now).executeTakeFirst();
    // Failures short of a lock are forgotten too: the officer starts afresh.
    await trx.deleteFrom('officer_sign_in_failures').where('username', '=', username.toLowerCase()).execute();
    if (Number(lifted.numDeletedRows) === 0) return 'not_locked';
    await recordAudit(trx, { ...change, at: change.now, action: 'officer.unlocked', subject: { type: 'officer', id: officer.id } });
    return 'unlocked';
  });
}
