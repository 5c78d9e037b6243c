// The CSV extract: one flat row per record. Relatives, residence, ID card and health insurance become
// prefixed columns; the lists (driver's licences, vehicles) are a JSON array in one column each.
import type { Reject } from './fields.ts';
import { isWellFormed } from '../personal-id.ts';
import type { PopulationRecord } from '../records.ts';

const RELATIVE_COLUMNS = ['father', 'mother', 'spouse', 'guardian'].flatMap((r) => [`${r}_id`, `${r}_name`, `${r}_birth_year`]);

export const CSV_COLUMNS: readonly string[] = [
  'personal_id', 'family_name', 'middle_name', 'given_name', 'birthdate', 'sex',
  'nationality', 'ethnicity', 'religion', 'place_of_origin',
  'residence_street', 'residence_ward', 'residence_district', 'residence_province',
  'portrait_ref', 'id_card_issued_on', 'id_card_expires_on', 'id_card_issuer', 'social_insurance_number',
  ...RELATIVE_COLUMNS,
  'health_insurance_card_number', 'health_insurance_clinic', 'health_insurance_valid_from', 'health_insurance_valid_to',
  'driver_licenses', 'vehicles',
];
export const CSV_REQUIRED_COLUMNS: readonly string[] = ['personal_id', 'family_name', 'given_name', 'birthdate', 'sex'];

/** Why a header cannot be read, or null: a misspelt column would otherwise drop its data silently. */
export function headerProblem(header: readonly string[]): string | null {
  const unknown = header.filter((c) => !CSV_COLUMNS.includes(c));
  if (unknown.length > 0) return `unknown column(s) in the header: ${unknown.join(', ')}`;
  const missing = CSV_REQUIRED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) return `required column(s) missing from the header: ${missing.join(', ')}`;
  if (new Set(header).size !== header.length) return 'a column appears twice in the header';
  return null;
}

type Flat = Record<string, string | undefined>;

/** Keeps only the given (non-blank) cells of a group, or nothing when the whole group is blank. */
function group(row: Flat, columns: Record<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [key, column] of Object.entries(columns)) {
    const value = row[column];
    if (value !== undefined && value.trim() !== '') out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A CSV row as the nested input record validateRecord reads, or the reason it cannot be one. */
export function csvRowToInput(row: Flat): { input: Record<string, unknown> } | { reject: Reject } {
  const input: Record<string, unknown> = {};
  for (const key of ['personal_id', 'family_name', 'middle_name', 'given_name', 'birthdate', 'sex', 'nationality', 'ethnicity', 'religion', 'place_of_origin', 'portrait_ref', 'social_insurance_number']) {
    const value = row[key];
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const residence = group(row, { street: 'residence_street', ward: 'residence_ward', district: 'residence_district', province: 'residence_province' });
  if (residence) input.residence = residence;
  const card = group(row, { issued_on: 'id_card_issued_on', expires_on: 'id_card_expires_on', issuer: 'id_card_issuer' });
  if (card) input.id_card = card;
  const relatives: Record<string, unknown> = {};
  for (const relation of ['father', 'mother', 'spouse', 'guardian']) {
    const relative = group(row, { personal_id: `${relation}_id`, full_name: `${relation}_name`, birth_year: `${relation}_birth_year` });
    if (relative) relatives[relation] = relative;
  }
  if (Object.keys(relatives).length > 0) input.relatives = relatives;
  const insurance = group(row, { card_number: 'health_insurance_card_number', clinic: 'health_insurance_clinic', valid_from: 'health_insurance_valid_from', valid_to: 'health_insurance_valid_to' });
  if (insurance) input.health_insurance = insurance;
  for (const list of ['driver_licenses', 'vehicles']) {
    const value = row[list];
    if (value === undefined || value.trim() === '') continue;
    try {
      input[list] = JSON.parse(value);
    } catch {
      const number = row.personal_id !== undefined && isWellFormed(row.personal_id) ? { personalId: row.personal_id } : {};
      return { reject: { reason: `invalid_field:${list}`, message: `${list} must be a JSON list`, ...number } };
    }
  }
  return { input };
}

/** The record as CSV cells in CSV_COLUMNS order ('' for absent). */
export function recordToCsvCells(record: PopulationRecord): string[] {
  const r = record.relatives ?? {};
  const cells: Record<string, string | number | undefined> = {
    personal_id: record.personal_id,
    family_name: record.family_name,
    middle_name: record.middle_name,
    given_name: record.given_name,
    birthdate: record.birthdate,
    sex: record.sex,
    nationality: record.nationality,
    ethnicity: record.ethnicity,
    religion: record.religion,
    place_of_origin: record.place_of_origin,
    portrait_ref: record.portrait_ref,
    social_insurance_number: record.social_insurance_number,
    residence_street: record.residence?.street,
    residence_ward: record.residence?.ward,
    residence_district: record.residence?.district,
    residence_province: record.residence?.province,
    id_card_issued_on: record.id_card?.issued_on,
    id_card_expires_on: record.id_card?.expires_on,
    id_card_issuer: record.id_card?.issuer,
    health_insurance_card_number: record.health_insurance?.card_number,
    health_insurance_clinic: record.health_insurance?.clinic,
    health_insurance_valid_from: record.health_insurance?.valid_from,
    health_insurance_valid_to: record.health_insurance?.valid_to,
    driver_licenses: record.driver_licenses?.length ? JSON.stringify(record.driver_licenses) : undefined,
    vehicles: record.vehicles?.length ? JSON.stringify(record.vehicles) : undefined,
  };
  for (const relation of ['father', 'mother', 'spouse', 'guardian'] as const) {
    cells[`${relation}_id`] = r[relation]?.personal_id;
    cells[`${relation}_name`] = r[relation]?.full_name;
    cells[`${relation}_birth_year`] = r[relation]?.birth_year;
  }
  return CSV_COLUMNS.map((c) => (cells[c] === undefined ? '' : String(cells[c])));
}

/** One CSV line (RFC 4180 quoting: only when a cell needs it). */
export function csvLine(cells: readonly string[]): string {
  return `${cells.map((c) => (/[",\r\n]|^\s|\s$/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')}\n`;
}
