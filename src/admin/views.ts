// How the officer API shows applications, accounts and citizens: snake_case JSON, no password material.
import type { Kysely, Selectable } from 'kysely';
import { fullName } from '../accounts/accounts.ts';
import { ageOn } from '../accounts/age.ts';
import { childrenUnder14, dependentsOf } from '../accounts/dependents.ts';
import type { AccountApplicationTable, Schema } from '../db/schema.ts';

export function applicationView(a: Selectable<AccountApplicationTable>) {
  return {
    id: a.id,
    personal_id: a.personal_id,
    phone: a.phone,
    email: a.email,
    requested_level: a.requested_level,
    documents: a.documents,
    dependents: a.dependents,
    status: a.status,
    filed_by: a.filed_by,
    filed_at: a.filed_at,
    decided_by: a.decided_by,
    decided_at: a.decided_at,
    decision_reason: a.decision_reason,
  };
}

export async function accountView(db: Kysely<Schema>, accountId: string) {
  const account = await db
    .selectFrom('accounts as a')
    .innerJoin('citizens as c', 'c.personal_id', 'a.personal_id')
    .select(['a.id', 'a.personal_id', 'c.family_name as familyName', 'c.middle_name as middleName', 'c.given_name as givenName', 'a.level', 'a.status', 'a.lock_reason', 'a.locked_until', 'a.phone', 'a.phone_verified', 'a.email', 'a.integrated_documents', 'a.password_must_change', 'a.created_at'])
    .where('a.id', '=', accountId)
    .executeTakeFirst();
  if (!account) return undefined;
  const { familyName, middleName, givenName, ...rest } = account;
  const dependents = await dependentsOf(db, account.id);
  return {
    ...rest,
    name: fullName({ familyName, middleName, givenName }),
    dependents: dependents.map((d) => ({ personal_id: d.personalId, name: fullName(d), birthdate: d.birthdate, registered_at: d.registeredAt })),
  };
}

/** The personal ID number of an account's citizen: its lookups before the account existed are filed under it. */
export async function citizenOfAccount(db: Kysely<Schema>, accountId: string): Promise<string | undefined> {
  return (await db.selectFrom('accounts').select('personal_id').where('id', '=', accountId).executeTakeFirst())?.personal_id;
}

export async function citizenView(db: Kysely<Schema>, personalId: string, today: Date) {
  const citizen = await db.selectFrom('citizens').selectAll().where('personal_id', '=', personalId).executeTakeFirst();
  if (!citizen) return undefined;
  const account = await db.selectFrom('accounts').select(['id', 'level', 'status']).where('personal_id', '=', personalId).executeTakeFirst();
  const open = await db.selectFrom('account_applications').select('id').where('personal_id', '=', personalId).where('status', '=', 'applied').executeTakeFirst();
  const children = await childrenUnder14(db, personalId, today);
  const has = async (table: 'driver_licenses' | 'vehicle_registrations' | 'health_insurance_cards') =>
    !!(await db.selectFrom(table).select('personal_id').where('personal_id', '=', personalId).executeTakeFirst());
  return {
    personal_id: citizen.personal_id,
    name: fullName({ familyName: citizen.family_name, middleName: citizen.middle_name, givenName: citizen.given_name }),
    birthdate: citizen.birthdate,
    sex: citizen.sex,
    age: ageOn(citizen.birthdate, today),
    account: account ?? null,
    open_application: open?.id ?? null,
    children_under_14: children.map((c) => ({ personal_id: c.personalId, name: fullName(c), birthdate: c.birthdate, relation: c.relation, registered: c.registeredUnder !== null })),
    documents_on_record: {
      driver_license: await has('driver_licenses'),
      vehicle_registration: await has('vehicle_registrations'),
      health_insurance: await has('health_insurance_cards'),
      social_insurance: citizen.social_insurance_number !== null,
    },
  };
}
