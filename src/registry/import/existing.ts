// What the database already holds for a batch's numbers, in a canonical form comparable with a new record:
// a re-import must tell "unchanged" from "changed" without touching unchanged rows.
import type { CitizenRow, DriverLicenseRow, HealthInsuranceRow, RecordRows, RelativeRow, VehicleRow } from '../records.ts';
import type { ImportConnection } from './connection.ts';

export const CITIZEN_COLUMNS = [
  'personal_id', 'family_name', 'middle_name', 'given_name', 'birthdate', 'sex', 'nationality', 'ethnicity', 'religion',
  'place_of_origin', 'residence_street', 'residence_ward', 'residence_district', 'residence_province', 'portrait_ref',
  'id_card_issued_on', 'id_card_expires_on', 'id_card_issuer', 'social_insurance_number',
] as const satisfies ReadonlyArray<keyof CitizenRow>;

const byKey = <T>(key: (row: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
const byRelation = byKey<RelativeRow>((r) => r.relation);
const byNumber = byKey<DriverLicenseRow>((r) => r.number);
const byPlate = byKey<VehicleRow>((r) => r.plate);

/** One string per record: equal strings mean nothing in the database would change. */
export function canonicalRecord(rows: RecordRows): string {
  const i = rows.healthInsurance;
  return JSON.stringify([
    CITIZEN_COLUMNS.map((c) => rows.citizen[c]),
    [...rows.relatives].sort(byRelation).map((r) => [r.relation, r.relative_personal_id, r.full_name, r.birth_year]),
    [...rows.driverLicenses].sort(byNumber).map((l) => [l.number, l.classes, l.issued_on, l.expires_on]),
    [...rows.vehicles].sort(byPlate).map((v) => [v.plate, v.type, v.brand, v.registered_on]),
    i ? [i.card_number, i.clinic, i.valid_from, i.valid_to] : null,
  ]);
}

export interface ExistingRecord {
  canonical: string;
  /** Written (inserted or updated) since `since`: by this import, as only one runs at a time. */
  writtenByThisRun: boolean;
}

/** The records among `ids` that exist, locked until the batch commits. */
export async function loadExisting(connection: ImportConnection, ids: readonly string[], since: string): Promise<Map<string, ExistingRecord>> {
  if (ids.length === 0) return new Map();
  const citizens = await connection.query<CitizenRow & { written: boolean }>(
    `SELECT ${CITIZEN_COLUMNS.join(', ')}, updated_at >= $2::timestamptz AS written FROM citizens WHERE personal_id = ANY($1::text[]) FOR UPDATE`,
    [ids, since],
  );
  if (citizens.length === 0) return new Map();
  const found = citizens.map((c) => c.personal_id);
  const select = <T extends { personal_id: string }>(table: string) =>
    connection.query<T>(`SELECT * FROM ${table} WHERE personal_id = ANY($1::text[])`, [found]);
  const records = new Map<string, RecordRows>(
    citizens.map(({ written: _, ...citizen }) => [citizen.personal_id, { citizen, relatives: [], driverLicenses: [], vehicles: [], healthInsurance: null }]),
  );
  for (const r of await select<RelativeRow>('citizen_relatives')) records.get(r.personal_id)!.relatives.push(r);
  for (const l of await select<DriverLicenseRow>('driver_licenses')) records.get(l.personal_id)!.driverLicenses.push(l);
  for (const v of await select<VehicleRow>('vehicle_registrations')) records.get(v.personal_id)!.vehicles.push(v);
  for (const h of await select<HealthInsuranceRow>('health_insurance_cards')) records.get(h.personal_id)!.healthInsurance = h;
  const written = new Set(citizens.filter((c) => c.written).map((c) => c.personal_id));
  return new Map([...records].map(([id, rows]) => [id, { canonical: canonicalRecord(rows), writtenByThisRun: written.has(id) }]));
}
