// The 12-digit personal identification number, PPP C YY NNNNNN (see shared/design/domain.md).
import provincesFile from './provinces.json' with { type: 'json' };

export type Sex = 'male' | 'female';

export const PROVINCES: ReadonlyMap<string, string> = new Map(provincesFile.provinces.map((p) => [p.code, p.name]));

// Century digit: even for men, odd for women; pairs by century.
const CENTURY_BASE: Record<string, number> = { '0': 1900, '2': 2000, '4': 2100, '6': 2200, '8': 1800 };

export interface PersonalIdParts {
  provinceCode: string;
  province: string;
  sex: Sex;
  birthYear: number;
  serial: string;
}

export type PersonalIdProblem = 'format' | 'unknown_province';

export function isWellFormed(value: string): boolean {
  return /^\d{12}$/.test(value);
}

/** Splits a number into what it encodes, or says why it cannot be a personal ID number. */
export function parsePersonalId(value: string): PersonalIdParts | { problem: PersonalIdProblem } {
  if (!isWellFormed(value)) return { problem: 'format' };
  const provinceCode = value.slice(0, 3);
  const province = PROVINCES.get(provinceCode);
  if (!province) return { problem: 'unknown_province' };
  const c = Number(value[3]);
  const base = CENTURY_BASE[String(c - (c % 2))]!;
  return {
    provinceCode,
    province,
    sex: c % 2 === 0 ? 'male' : 'female',
    birthYear: base + Number(value.slice(4, 6)),
    serial: value.slice(6),
  };
}

export type RecordMismatch = PersonalIdProblem | 'sex_mismatch' | 'birth_year_mismatch';

/** Checks a number against the record it belongs to; returns the first disagreement, or null. */
export function checkAgainstRecord(value: string, record: { birthdate: string; sex: Sex }): RecordMismatch | null {
  const parts = parsePersonalId(value);
  if ('problem' in parts) return parts.problem;
  if (parts.sex !== record.sex) return 'sex_mismatch';
  if (parts.birthYear !== Number(record.birthdate.slice(0, 4))) return 'birth_year_mismatch';
  return null;
}

/** Builds a number from its parts; serial is 0..999999. */
export function makePersonalId(provinceCode: string, sex: Sex, birthYear: number, serial: number): string {
  if (!PROVINCES.has(provinceCode)) throw new RangeError(`unknown province code ${provinceCode}`);
  const base = Math.floor((birthYear - 1800) / 100) * 100 + 1800;
  const digit = Object.entries(CENTURY_BASE).find(([, b]) => b === base)?.[0];
  if (digit === undefined) throw new RangeError(`birth year ${birthYear} outside 1800–2299`);
  const c = Number(digit) + (sex === 'female' ? 1 : 0);
  return `${provinceCode}${c}${String(birthYear % 100).padStart(2, '0')}${String(serial).padStart(6, '0')}`;
}
