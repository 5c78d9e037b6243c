// Children under 14 registered under a guardian's level-2 account (account_dependents).
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { ageOn, OWN_ACCOUNT_AGE } from './age.ts';

export interface Dependent {
  personalId: string;
  familyName: string;
  middleName: string;
  givenName: string;
  birthdate: string;
  registeredAt: Date;
}

export async function dependentsOf(db: Kysely<Schema>, guardianAccountId: string): Promise<Dependent[]> {
  return db
    .selectFrom('account_dependents as d')
    .innerJoin('citizens as c', 'c.personal_id', 'd.dependent_personal_id')
    .select([
      'c.personal_id as personalId',
      'c.family_name as familyName',
      'c.middle_name as middleName',
      'c.given_name as givenName',
      'c.birthdate',
      'd.registered_at as registeredAt',
    ])
    .where('d.guardian_account_id', '=', guardianAccountId)
    .orderBy('c.birthdate')
    .execute();
}

/** The citizen's children (or wards) under 14 per the population record, with whether each is already registered. */
export async function childrenUnder14(db: Kysely<Schema> | Transaction<Schema>, personalId: string, today: Date) {
  const rows = await db
    .selectFrom('citizen_relatives as r')
    .innerJoin('citizens as c', 'c.personal_id', 'r.personal_id')
    .leftJoin('account_dependents as d', 'd.dependent_personal_id', 'c.personal_id')
    .select(['c.personal_id as personalId', 'c.family_name as familyName', 'c.middle_name as middleName', 'c.given_name as givenName', 'c.birthdate', 'r.relation', 'd.guardian_account_id as registeredUnder'])
    .where('r.relative_personal_id', '=', personalId)
    .where('r.relation', 'in', ['father', 'mother', 'guardian'])
    .execute();
  return rows.filter((child) => ageOn(child.birthdate, today) < OWN_ACCOUNT_AGE);
}
