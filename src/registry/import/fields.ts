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

// A field's path is `${prefix}${key}` (e.g. "relatives.father." + "full_name"). It is only spelt out when a
// field is refused: an import validates millions of fields, and building each path would be most of its garbage.

export function isPlainObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_TEXT = 500;

/** A text field: absent, null and blank all mean "not given". */
export function optionalText(fields: Fields, key: string, prefix = ''): string | null {
  const value = fields[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') fail(`invalid_field:${prefix}${key}`, `${prefix}${key} must be text`);
  const text = value.trim();
  if (text.length > MAX_TEXT) fail(`invalid_field:${prefix}${key}`, `${prefix}${key} is longer than ${MAX_TEXT} characters`);
  return text === '' ? null : text;
}

export function requiredText(fields: Fields, key: string, prefix = ''): string {
  return optionalText(fields, key, prefix) ?? fail(`missing_field:${prefix}${key}`, `${prefix}${key} is missing`);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9];
const digit = (text: string, at: number) => text.charCodeAt(at) - 48;

/** YYYY-MM-DD naming a real day in 1800–2299 (the years an ID number can encode); read without allocating. */
export function isIsoDate(text: string): boolean {
  if (text.length !== 10 || text[4] !== '-' || text[7] !== '-') return false;
  for (const at of DIGIT_POSITIONS) if (digit(text, at) < 0 || digit(text, at) > 9) return false;
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
  const month = digit(text, 5) * 10 + digit(text, 6);
  const day = digit(text, 8) * 10 + digit(text, 9);
  if (year < 1800 || year > 2299 || month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0);
}

export function optionalDate(fields: Fields, key: string, prefix = ''): string | null {
  const value = optionalText(fields, key, prefix);
  if (value !== null && !isIsoDate(value)) fail(`invalid_field:${prefix}${key}`, `${prefix}${key} must be a real date written YYYY-MM-DD`);
  return value;
}

export function requiredDate(fields: Fields, key: string, prefix = ''): string {
  return optionalDate(fields, key, prefix) ?? fail(`missing_field:${prefix}${key}`, `${prefix}${key} is missing`);
}

/** A nested object; unknown keys are refused so a misspelt field is not silently dropped. */
export function optionalObject(fields: Fields, key: string, allowed: ReadonlySet<string>, prefix = ''): Fields | null {
  const value = fields[key];
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) fail(`invalid_field:${prefix}${key}`, `${prefix}${key} must be an object`);
  for (const inner in value) if (!allowed.has(inner)) refuseUnknownKeys(value, allowed, `${prefix}${key}.`);
  return value;
}

export function optionalArray(fields: Fields, key: string): unknown[] {
  const value = fields[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`invalid_field:${key}`, `${key} must be a list`);
  return value;
}

export function refuseUnknownKeys(fields: Fields, allowed: ReadonlySet<string>, prefix = ''): void {
  for (const key in fields) {
    if (!allowed.has(key)) fail(`invalid_field:${prefix}${key}`, `${prefix}${key} is not a field of the population record`);
  }
}

/** An integer, given as a number or (from CSV) as digits. */
export function optionalInteger(fields: Fields, key: string, min: number, max: number, prefix = ''): number | null {
  const value = fields[key];
  if (value === undefined || value === null || value === '') return null;
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    fail(`invalid_field:${prefix}${key}`, `${prefix}${key} must be a whole number from ${min} to ${max}`);
  }
  return number;
}

export function matching(value: string | null, pattern: RegExp, key: string, what: string, prefix = ''): string | null {
  if (value !== null && !pattern.test(value)) fail(`invalid_field:${prefix}${key}`, `${prefix}${key} must be ${what}`);
  return value;
}

/** later must come strictly after earlier (both ISO dates, so string order is date order). */
export function after(later: string | null, earlier: string | null, key: string, what: string, prefix = ''): void {
  if (later !== null && earlier !== null && later <= earlier) fail(`invalid_field:${prefix}${key}`, `${prefix}${key} must be after ${what}`);
}
