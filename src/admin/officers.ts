// Police officers and supervisors of the registration desk, and their API sessions (opaque bearer tokens).
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PasswordHasher } from '../accounts/passwords.ts';
import type { OfficerRole, Schema } from '../db/schema.ts';

export interface OfficerIdentity {
  id: string;
  username: string;
  fullName: string;
  role: OfficerRole;
  policeUnit: string;
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export async function createOfficer(
  db: Kysely<Schema>,
  passwords: PasswordHasher,
  input: { username: string; fullName: string; role: OfficerRole; policeUnit: string; password: string },
): Promise<OfficerIdentity> {
  const row = await db
    .insertInto('officers')
    .values({ username: input.username, full_name: input.fullName, role: input.role, police_unit: input.policeUnit, password_hash: await passwords.hash(input.password) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, username: input.username, fullName: input.fullName, role: input.role, policeUnit: input.policeUnit };
}

/** Checks an officer's password and opens a session; unknown names take as long as wrong passwords. */
export async function signInOfficer(
  db: Kysely<Schema>,
  passwords: PasswordHasher,
  input: { username: string; password: string; sessionSeconds: number; now: Date },
): Promise<{ token: string; expiresAt: Date; officer: OfficerIdentity } | null> {
  const officer = await db
    .selectFrom('officers')
    .select(['id', 'username', 'full_name as fullName', 'role', 'police_unit as policeUnit', 'password_hash', 'disabled_at'])
    .where('username', '=', input.username.toLowerCase())
    .executeTakeFirst();
  if (!officer) {
    await passwords.verifyNothing(input.password);
    return null;
  }
  if (!(await passwords.verify(officer.password_hash, input.password)) || officer.disabled_at) return null;
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(input.now.getTime() + input.sessionSeconds * 1000);
  await db.insertInto('officer_sessions').values({ token_hash: tokenHash(token), officer_id: officer.id, expires_at: expiresAt, created_at: input.now }).execute();
  const { password_hash: _hash, disabled_at: _disabled, ...identity } = officer;
  return { token, expiresAt, officer: identity };
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

export async function purgeOfficerSessions(db: Kysely<Schema>, now: Date): Promise<void> {
  await db.deleteFrom('officer_sessions').where('expires_at', '<=', now).execute();
}
