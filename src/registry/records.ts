// The population record as extracts carry it (README, "Population record import"), and its validation into
// table rows. Everything a table constraint would refuse is refused here first, with a reason, so one bad
// line never fails the batch it travels in.
import type {
  Citizen,
  CitizenRelativeTable,
  DriverLicenseTable,
  HealthInsuranceCardTable,
  Relation,
  VehicleRegistrationTable,
  VehicleType,
} from '../db/schema.ts';
import {
  after,
  fail,
  isPlainObject,
  matching,
  optionalArray,
  optionalDate,
  optionalInteger,
  optionalObject,
  optionalText,
  RecordRejection,
  refuseUnknownKeys,
  requiredDate,
  requiredText,
  type Fields,
  type Reject,
} from './import/fields.ts';
import { checkAgainstRecord, isWellFormed, parsePersonalId, type Sex } from './personal-id.ts';

export type { Reject } from './import/fields.ts';

export interface RelativeInput {
  personal_id?: string;
  full_name: string;
  birth_year?: number;
}
export interface DriverLicenseInput {
  number: string;
  classes: string[];
  issued_on: string;
  expires_on?: string;
}
export interface VehicleInput {
  plate: string;
  type: VehicleType;
  brand?: string;
  registered_on: string;
}
export interface HealthInsuranceInput {
  card_number: string;
  clinic: string;
  valid_from: string;
  valid_to?: string;
}

/** One citizen as a line of an NDJSON extract (the CSV columns flatten the same record). */
export interface PopulationRecord {
  personal_id: string;
  family_name: string;
  middle_name?: string;
  given_name: string;
  birthdate: string;
  sex: Sex;
  nationality?: string;
  ethnicity?: string;
  religion?: string;
  place_of_origin?: string;
  residence?: { street?: string; ward?: string; district?: string; province?: string };
  portrait_ref?: string;
  id_card?: { issued_on?: string; expires_on?: string; issuer?: string };
  social_insurance_number?: string;
  relatives?: Partial<Record<Relation, RelativeInput>>;
  driver_licenses?: DriverLicenseInput[];
  vehicles?: VehicleInput[];
  health_insurance?: HealthInsuranceInput;
}

export type CitizenRow = Omit<Citizen, 'birth_province_code' | 'created_at' | 'updated_at'>;
export type RelativeRow = CitizenRelativeTable;
export type DriverLicenseRow = DriverLicenseTable;
export type VehicleRow = VehicleRegistrationTable;
export type HealthInsuranceRow = HealthInsuranceCardTable;

/** Everything one record puts in the database. */
export interface RecordRows {
  citizen: CitizenRow;
  relatives: RelativeRow[];
  driverLicenses: DriverLicenseRow[];
  vehicles: VehicleRow[];
  healthInsurance: HealthInsuranceRow | null;
}

export type Validation = { ok: true; rows: RecordRows } | { ok: false; reject: Reject };

export const RELATIONS: readonly Relation[] = ['father', 'mother', 'spouse', 'guardian'];
export const VEHICLE_TYPES: readonly VehicleType[] = ['motorcycle', 'car', 'truck', 'bus', 'trailer', 'other'];
// The same patterns as the tables' CHECK constraints (migrations/0003).
export const PLATE = /^[0-9]{2}[A-Z]{1,2}[0-9]?-([0-9]{4}|[0-9]{3}\.[0-9]{2})$/;
export const HEALTH_CARD = /^[A-Z]{2}[0-9]{13}$/;
const LICENSE_NUMBER = /^[0-9]{12}$/;
const LICENSE_CLASS = /^[A-F][0-9A-Z]{0,3}$/;
const SOCIAL_INSURANCE = /^[0-9]{10}$/;

const REQUIRED = ['personal_id', 'family_name', 'given_name', 'birthdate', 'sex'] as const;
const TOP_LEVEL = new Set([
  ...REQUIRED, 'middle_name', 'nationality', 'ethnicity', 'religion', 'place_of_origin', 'residence', 'portrait_ref',
  'id_card', 'social_insurance_number', 'relatives', 'driver_licenses', 'vehicles', 'health_insurance',
]);
const RESIDENCE = new Set(['street', 'ward', 'district', 'province']);
const ID_CARD = new Set(['issued_on', 'expires_on', 'issuer']);
const RELATIVE = new Set(['personal_id', 'full_name', 'birth_year']);
const RELATION_KEYS: ReadonlySet<string> = new Set(RELATIONS);
const LICENCE = new Set(['number', 'classes', 'issued_on', 'expires_on']);
const VEHICLE = new Set(['plate', 'type', 'brand', 'registered_on']);
const INSURANCE = new Set(['card_number', 'clinic', 'valid_from', 'valid_to']);

/**
 * Checks one input record and turns it into rows. `today` (YYYY-MM-DD) bounds the date of birth.
 * Required fields come first, then the number against the record, then everything else.
 */
export function validateRecord(input: unknown, today: string): Validation {
  if (!isPlainObject(input)) return { ok: false, reject: { reason: 'malformed_line', message: 'the line is not a JSON object' } };
  const number = typeof input.personal_id === 'string' && isWellFormed(input.personal_id) ? input.personal_id : undefined;
  try {
    return { ok: true, rows: recordRows(input, today) };
  } catch (error) {
    if (!(error instanceof RecordRejection)) throw error;
    return { ok: false, reject: number ? { ...error.reject, personalId: number } : error.reject };
  }
}

function recordRows(input: Fields, today: string): RecordRows {
  for (const key of REQUIRED) {
    const value = input[key];
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      fail(`missing_field:${key}`, `${key} is missing`);
    }
  }
  const personalId = personalIdOf(input.personal_id);
  const birthdate = requiredDate(input, 'birthdate');
  const sex = input.sex;
  if (sex !== 'male' && sex !== 'female') fail('invalid_field:sex', 'sex must be "male" or "female"');
  const mismatch = checkAgainstRecord(personalId, { birthdate, sex });
  if (mismatch === 'sex_mismatch') fail('id_disagrees_with_sex', 'the ID number’s century/sex digit does not match the sex');
  if (mismatch === 'birth_year_mismatch') fail('id_disagrees_with_birthdate', 'the ID number’s century and year digits do not match the year of birth');
  if (birthdate > today) fail('invalid_field:birthdate', 'birthdate is in the future');
  refuseUnknownKeys(input, TOP_LEVEL);

  const residence = optionalObject(input, 'residence', RESIDENCE) ?? {};
  const card = optionalObject(input, 'id_card', ID_CARD) ?? {};
  const cardIssued = optionalDate(card, 'issued_on', 'id_card.');
  const cardExpires = optionalDate(card, 'expires_on', 'id_card.');
  after(cardIssued, birthdate, 'issued_on', 'the date of birth', 'id_card.');
  after(cardExpires, cardIssued, 'expires_on', 'id_card.issued_on', 'id_card.');

  const citizen: CitizenRow = {
    personal_id: personalId,
    family_name: requiredText(input, 'family_name'),
    middle_name: optionalText(input, 'middle_name') ?? '',
    given_name: requiredText(input, 'given_name'),
    birthdate,
    sex,
    nationality: optionalText(input, 'nationality'),
    ethnicity: optionalText(input, 'ethnicity'),
    religion: optionalText(input, 'religion'),
    place_of_origin: optionalText(input, 'place_of_origin'),
    residence_street: optionalText(residence, 'street', 'residence.'),
    residence_ward: optionalText(residence, 'ward', 'residence.'),
    residence_district: optionalText(residence, 'district', 'residence.'),
    residence_province: optionalText(residence, 'province', 'residence.'),
    portrait_ref: optionalText(input, 'portrait_ref'),
    id_card_issued_on: cardIssued,
    id_card_expires_on: cardExpires,
    id_card_issuer: optionalText(card, 'issuer', 'id_card.'),
    social_insurance_number: matching(optionalText(input, 'social_insurance_number'), SOCIAL_INSURANCE, 'social_insurance_number', '10 digits'),
  };
  return {
    citizen,
    relatives: relativeRows(input, personalId),
    driverLicenses: licenseRows(input, personalId, birthdate),
    vehicles: vehicleRows(input, personalId),
    healthInsurance: insuranceRow(input, personalId),
  };
}

function personalIdOf(value: unknown): string {
  if (typeof value !== 'string' || !isWellFormed(value)) fail('bad_id_number', 'personal_id is not a 12-digit number');
  const parts = parsePersonalId(value);
  if ('problem' in parts) fail('unknown_province', 'the ID number’s first three digits are not a known birth-registration province');
  return value;
}

const RELATION_PREFIX: Readonly<Record<Relation, string>> = { father: 'relatives.father.', mother: 'relatives.mother.', spouse: 'relatives.spouse.', guardian: 'relatives.guardian.' };

function relativeRows(input: Fields, personalId: string): RelativeRow[] {
  const relatives = optionalObject(input, 'relatives', RELATION_KEYS) ?? {};
  const rows: RelativeRow[] = [];
  for (const relation of RELATIONS) {
    const relative = optionalObject(relatives, relation, RELATIVE, 'relatives.');
    if (!relative) continue;
    const prefix = RELATION_PREFIX[relation];
    const number = optionalText(relative, 'personal_id', prefix);
    const birthYear = optionalInteger(relative, 'birth_year', 1800, 2299, prefix);
    if (number !== null) {
      const parts = isWellFormed(number) ? parsePersonalId(number) : { problem: 'format' as const };
      if ('problem' in parts || number === personalId) fail(`invalid_field:${prefix}personal_id`, `${prefix}personal_id is not a valid ID number of another citizen`);
      if (birthYear !== null && parts.birthYear !== birthYear) fail(`invalid_field:${prefix}personal_id`, `${prefix}personal_id does not match ${prefix}birth_year`);
      if ((relation === 'father' && parts.sex !== 'male') || (relation === 'mother' && parts.sex !== 'female')) {
        fail(`invalid_field:${prefix}personal_id`, `${prefix}personal_id is the number of a ${parts.sex === 'male' ? 'man' : 'woman'}`);
      }
    }
    rows.push({ personal_id: personalId, relation, relative_personal_id: number, full_name: requiredText(relative, 'full_name', prefix), birth_year: birthYear });
  }
  return rows;
}

/** The objects of a list field, each with its path prefix (e.g. "vehicles[0]."). */
function each(input: Fields, key: string, allowed: ReadonlySet<string>): Array<[Fields, string]> {
  const items = optionalArray(input, key);
  if (items.length === 0) return [];
  return items.map((item, index) => {
    if (!isPlainObject(item)) fail(`invalid_field:${key}`, `${key}[${index}] must be an object`);
    refuseUnknownKeys(item, allowed, `${key}[].`);
    return [item, `${key}[${index}].`];
  });
}

function unique(values: string[], key: string, what: string): void {
  if (values.length > 1 && new Set(values).size !== values.length) fail(`invalid_field:${key}`, `${key} lists the same ${what} twice`);
}

function licenseRows(input: Fields, personalId: string, birthdate: string): DriverLicenseRow[] {
  const rows = each(input, 'driver_licenses', LICENCE).map(([licence, prefix]): DriverLicenseRow => {
    const number = matching(requiredText(licence, 'number', prefix), LICENSE_NUMBER, 'number', '12 digits', prefix)!;
    const classes = licence.classes;
    if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === 'string' && LICENSE_CLASS.test(c))) {
      fail(`invalid_field:${prefix}classes`, `${prefix}classes must be a non-empty list of licence classes such as "A1" or "B2"`);
    }
    const issued = requiredDate(licence, 'issued_on', prefix);
    const expires = optionalDate(licence, 'expires_on', prefix);
    after(issued, birthdate, 'issued_on', 'the date of birth', prefix);
    after(expires, issued, 'expires_on', `${prefix}issued_on`, prefix);
    return { number, personal_id: personalId, classes: classes as string[], issued_on: issued, expires_on: expires };
  });
  unique(rows.map((r) => r.number), 'driver_licenses', 'licence number');
  return rows;
}

function vehicleRows(input: Fields, personalId: string): VehicleRow[] {
  const rows = each(input, 'vehicles', VEHICLE).map(([vehicle, prefix]): VehicleRow => {
    const plate = matching(requiredText(vehicle, 'plate', prefix), PLATE, 'plate', 'a plate such as 29A-123.45 or 59X1-123.45', prefix)!;
    const type = requiredText(vehicle, 'type', prefix);
    if (!(VEHICLE_TYPES as readonly string[]).includes(type)) fail(`invalid_field:${prefix}type`, `${prefix}type must be one of ${VEHICLE_TYPES.join(', ')}`);
    return { plate, personal_id: personalId, type: type as VehicleType, brand: optionalText(vehicle, 'brand', prefix), registered_on: requiredDate(vehicle, 'registered_on', prefix) };
  });
  unique(rows.map((r) => r.plate), 'vehicles', 'plate');
  return rows;
}

function insuranceRow(input: Fields, personalId: string): HealthInsuranceRow | null {
  const card = optionalObject(input, 'health_insurance', INSURANCE);
  if (!card) return null;
  const prefix = 'health_insurance.';
  const from = requiredDate(card, 'valid_from', prefix);
  const to = optionalDate(card, 'valid_to', prefix);
  after(to, from, 'valid_to', 'health_insurance.valid_from', prefix);
  return {
    card_number: matching(requiredText(card, 'card_number', prefix), HEALTH_CARD, 'card_number', 'two capital letters and 13 digits', prefix)!,
    personal_id: personalId,
    clinic: requiredText(card, 'clinic', prefix),
    valid_from: from,
    valid_to: to,
  };
}
