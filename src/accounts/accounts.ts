// e-ID accounts joined to the citizen's population record: the queries sign-in and claims need.
import type { Kysely, SelectQueryBuilder, Transaction } from 'kysely';
import type { AccountLevel, AccountStatus, DocumentKind, LockReason, Schema } from '../db/schema.ts';

/** What the rest of the system knows about a signed-in citizen. */
export interface CitizenAccount {
  id: string;
  personalId: string;
  familyName: string;
  middleName: string;
  givenName: string;
  birthdate: string;
  sex: 'male' | 'female';
  phone: string | null;
  phoneVerified: boolean;
  email: string | null;
  emailVerified: boolean;
  level: AccountLevel;
  status: AccountStatus;
  passwordHash: string;
  passwordMustChange: boolean;
  lockReason: LockReason | null;
  lockedUntil: Date | null;
  /** When its sessions were last ended: a browser signed in before then is signed in no more. */
  sessionsEndedAt: Date | null;
  integratedDocuments: DocumentKind[];
  /** A synthetic citizen the sandbox seeded (sandbox clients sign in only these). */
  sandbox: boolean;
}

/**
 * Whether the citizen's bound devices may act for the account (the app's proofs, QR sign-in, CIBA, sharing): it is
 * active, or locked only by failed password attempts. That lock guards the password; a device is a factor of its
 * own (its key, unlocked by PIN or biometrics on the phone), so whoever types wrong passwords for a number cannot
 * shut the citizen out of the app. An officer's lock and a revocation stop devices too.
 */
export function opensToDevices(account: Pick<CitizenAccount, 'status' | 'lockReason'>): boolean {
  return account.status === 'active' || (account.status === 'locked' && account.lockReason === 'failed_sign_ins');
}

export interface Accounts {
  findById(id: string): Promise<CitizenAccount | undefined>;
  findByPersonalId(personalId: string): Promise<CitizenAccount | undefined>;
  /** The same read as findByPersonalId, as a query to run within another statement (the lockout's attempt). */
  byPersonalId(personalId: string): AccountQuery;
}

/** A read of one account, not yet run. */
export type AccountQuery = SelectQueryBuilder<Schema, 'accounts' | 'citizens', CitizenAccount>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function accountQueries(db: Kysely<Schema>): Accounts {
  const base = () =>
    db
      .selectFrom('accounts as a')
      .innerJoin('citizens as c', 'c.personal_id', 'a.personal_id')
      .select([
        'a.id',
        'a.personal_id as personalId',
        'c.family_name as familyName',
        'c.middle_name as middleName',
        'c.given_name as givenName',
        'c.birthdate',
        'c.sex',
        'a.phone',
        'a.phone_verified as phoneVerified',
        'a.email',
        'a.email_verified as emailVerified',
        'a.level',
        'a.status',
        'a.password_hash as passwordHash',
        'a.password_must_change as passwordMustChange',
        'a.lock_reason as lockReason',
        'a.locked_until as lockedUntil',
        'a.sessions_ended_at as sessionsEndedAt',
        'a.integrated_documents as integratedDocuments',
        // Read with the account, not in a query of its own: every sandbox-client sign-in step asks it.
        (eb) =>
          eb
            .exists(eb.selectFrom('sandbox_seed as s').select('s.key').where('s.kind', '=', 'citizen').whereRef('s.key', '=', 'a.personal_id'))
            .$castTo<boolean>()
            .as('sandbox'),
      ]);
  const byPersonalId = (personalId: string) => base().where('a.personal_id', '=', personalId) as unknown as AccountQuery;
  return {
    // The provider hands back whatever `sub` a token carries: anything but a UUID is simply unknown.
    findById: async (id) => (UUID.test(id) ? base().where('a.id', '=', id).executeTakeFirst() : undefined),
    findByPersonalId: (personalId) => byPersonalId(personalId).executeTakeFirst(),
    byPersonalId,
  };
}

export function fullName(account: Pick<CitizenAccount, 'familyName' | 'middleName' | 'givenName'>): string {
  return [account.familyName, account.middleName, account.givenName].filter(Boolean).join(' ');
}

/**
 * Runs fn in a transaction holding the account row's lock. What is checked, then sent or written, for one account
 * (an SMS code and its limits) is done under it, so requests sent all at once wait for each other and the limits hold.
 */
/** What the row said once locked: a phone read before the lock may have been changed at the desk meanwhile. */
export interface LockedAccount {
  phone: string | null;
  status: AccountStatus;
  lockReason: LockReason | null;
}

export async function underAccountLock<T>(db: Kysely<Schema>, accountId: string, fn: (trx: Transaction<Schema>, locked: LockedAccount | undefined) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('accounts').select(['phone', 'status', 'lock_reason']).where('id', '=', accountId).forUpdate().executeTakeFirst();
    return fn(trx, row && { phone: row.phone, status: row.status, lockReason: row.lock_reason });
  });
}
