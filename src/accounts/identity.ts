// The level-2 part of a citizen's identity, read from the population record: residence, citizenship, the ID
// card, and the documents integrated into the account at the desk. Loaded only when a token may carry it.
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import type { CitizenAccount } from './accounts.ts';
import { fullName } from './accounts.ts';
import { dependentsOf } from './dependents.ts';

export interface RecordIdentity {
  residence: { street: string | null; ward: string | null; district: string | null; province: string | null } | null;
  placeOfOrigin: string | null;
  nationality: string | null;
  ethnicity: string | null;
  religion: string | null;
  idCard: { number: string; issueDate: string; expiryDate: string | null; issuer: string | null } | null;
  driverLicenses: { number: string; classes: string[]; issueDate: string; expiryDate: string | null }[];
  vehicles: { plate: string; type: string; brand: string | null; registeredAt: string }[];
  healthInsurance: { cardNumber: string; clinic: string; validFrom: string; validTo: string | null } | null;
  socialInsuranceNumber: string | null;
  dependents: { name: string; birthdate: string; personalId: string }[];
  /** The in-person verification behind level 2: when the account was approved, at which police unit. */
  verification: { at: Date; by: string; reference: string };
}

export async function recordIdentity(db: Kysely<Schema>, account: CitizenAccount): Promise<RecordIdentity> {
  const integrated = new Set(account.integratedDocuments);
  const id = account.personalId;
  const record = await db.selectFrom('citizens').selectAll().where('personal_id', '=', id).executeTakeFirstOrThrow();
  const [licenses, vehicles, insurance, dependents] = await Promise.all([
    integrated.has('driver_license') ? db.selectFrom('driver_licenses').selectAll().where('personal_id', '=', id).orderBy('issued_on').execute() : [],
    integrated.has('vehicle_registration') ? db.selectFrom('vehicle_registrations').selectAll().where('personal_id', '=', id).orderBy('registered_on').execute() : [],
    integrated.has('health_insurance') ? db.selectFrom('health_insurance_cards').selectAll().where('personal_id', '=', id).executeTakeFirst() : undefined,
    dependentsOf(db, account.id),
  ]);
  const approval = account.level === 2
    ? await db
        .selectFrom('accounts as a')
        .leftJoin('account_applications as app', 'app.id', 'a.application_id')
        .leftJoin('officers as o', 'o.id', 'app.filed_by')
        .select(['a.created_at', 'app.id as applicationId', 'app.decided_at', 'o.police_unit'])
        .where('a.id', '=', account.id)
        .executeTakeFirst()
    : undefined;
  const hasResidence = record.residence_street || record.residence_ward || record.residence_district || record.residence_province;
  return {
    residence: hasResidence
      ? { street: record.residence_street, ward: record.residence_ward, district: record.residence_district, province: record.residence_province }
      : null,
    placeOfOrigin: record.place_of_origin,
    nationality: record.nationality,
    ethnicity: record.ethnicity,
    religion: record.religion,
    idCard: record.id_card_issued_on ? { number: id, issueDate: record.id_card_issued_on, expiryDate: record.id_card_expires_on, issuer: record.id_card_issuer } : null,
    driverLicenses: licenses.map((l) => ({ number: l.number, classes: l.classes, issueDate: l.issued_on, expiryDate: l.expires_on })),
    vehicles: vehicles.map((v) => ({ plate: v.plate, type: v.type, brand: v.brand, registeredAt: v.registered_on })),
    healthInsurance: insurance ? { cardNumber: insurance.card_number, clinic: insurance.clinic, validFrom: insurance.valid_from, validTo: insurance.valid_to } : null,
    socialInsuranceNumber: integrated.has('social_insurance') ? record.social_insurance_number : null,
    dependents: dependents.map((d) => ({ name: fullName(d), birthdate: d.birthdate, personalId: d.personalId })),
    verification: {
      at: approval?.decided_at ?? approval?.created_at ?? new Date(0),
      by: approval?.police_unit ?? 'Bộ Công an',
      reference: approval?.applicationId ?? account.id,
    },
  };
}
