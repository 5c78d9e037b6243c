// Readers for one field of an input record: each returns the normalised value or throws a RecordRejection
// naming the field. Messages never repeat the value (it is personal data).

/** Why a line was not imported: a stable machine-readable code and a sentence for a person. */
export interface Reject {
  reason: string;
  message: string;
  /** Only when the line carried a well-formed number: a bad one may be anything, even a name. */
  personalId?: string;
}

export class RecordRejection extends Error {
  readonly reject: Reject;
  constructor(reject: Reject) {
    super(reject.message);
    this.reject = reject;
  }
}

export function fail(reason: string, message: string): never {
  throw new RecordRejection({ reason, message });
}

export type Fields = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_TEXT = 500;

/** A text field: absent, null and blank all mean "not given". */
export function optionalText(fields: Fields, key: string, path = key): string | null {
  const value = fields[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') fail(`invalid_field:${path}`, `${path} must be text`);
  const text = value.trim();
  if (text.length > MAX_TEXT) fail(`invalid_field:${path}`, `${path} is longer than ${MAX_TEXT} characters`);
  return text === '' ? null : text;
}

export function requiredText(fields: Fields, key: string, path = key): string {
  return optionalText(fields, key, path) ?? fail(`missing_field:${path}`, `${path} is missing`);
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date YYYY-MM-DD within the years the ID number can encode (1800–2299). */
export function optionalDate(fields: Fields, key: string, path = key): string | null {
  const value = optionalText(fields, key, path);
  if (value === null) return null;
  const match = ISO_DATE.exec(value);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const date = new Date(Date.UTC(year, month - 1, day));
  const real = match && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  if (!real || year < 1800 || year > 2299) fail(`invalid_field:${path}`, `${path} must be a real date written YYYY-MM-DD`);
  return value;
}

export function requiredDate(fields: Fields, key: string, path = key): string {
  return optionalDate(fields, key, path) ?? fail(`missing_field:${path}`, `${path} is missing`);
}

/** A nested object; unknown keys are refused so a misspelt field is not silently dropped. */
export function optionalObject(fields: Fields, key: string, allowed: readonly string[], path = key): Fields | null {
  const value = fields[key];
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) fail(`invalid_field:${path}`, `${path} must be an object`);
  refuseUnknownKeys(value, allowed, `${path}.`);
  return value;
}

export function optionalArray(fields: Fields, key: string, path = key): unknown[] {
  const value = fields[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`invalid_field:${path}`, `${path} must be a list`);
  return value;
}

export function refuseUnknownKeys(fields: Fields, allowed: readonly string[], prefix = ''): void {
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) fail(`invalid_field:${prefix}${key}`, `${prefix}${key} is not a field of the population record`);
  }
}

/** An integer, given as a number or (from CSV) as digits. */
export function optionalInteger(fields: Fields, key: string, min: number, max: number, path = key): number | null {
  const value = fields[key];
  if (value === undefined || value === null || value === '') return null;
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    fail(`invalid_field:${path}`, `${path} must be a whole number from ${min} to ${max}`);
  }
  return number;
}

export function matching(value: string | null, pattern: RegExp, path: string, what: string): string | null {
  if (value !== null && !pattern.test(value)) fail(`invalid_field:${path}`, `${path} must be ${what}`);
  return value;
}

/** later must come strictly after earlier (both ISO dates, so string order is date order). */
export function after(later: string | null, earlier: string | null, path: string, what: string): void {
  if (later !== null && earlier !== null && later <= earlier) fail(`invalid_field:${path}`, `${path} must be after ${what}`);
}
