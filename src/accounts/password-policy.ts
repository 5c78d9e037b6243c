// What a new password must satisfy: long enough, not the citizen's own ID number or birthdate, not common.
import { readFileSync } from 'node:fs';

export type PasswordProblem = 'too_short' | 'too_long' | 'mismatch' | 'contains_personal_id' | 'contains_birthdate' | 'common';

export const MIN_LENGTH = 8;
export const MAX_LENGTH = 128;

/** Lower case, without diacritics (đ → d) or spaces: "Mật khẩu" is as common as "matkhau". */
function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/đ/g, 'd').replace(/\s+/gu, '');
}

const COMMON = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map(fold),
);

/** What people put between the groups of a number or a date: 001 090 012345, 12/05/1990, 12.05.1990 … */
const SEPARATORS = /[\s./_-]+/gu;

/** A birthdate as digits, the ways it is written once separators are gone: 12051990, 19900512, 120590, 05121990, 1251990 (12/5/1990). */
function birthdateForms(birthdate: string): string[] {
  const [y = '', m = '', d = ''] = birthdate.split('-');
  const [day, month] = [String(Number(d)), String(Number(m))];
  return [`${d}${m}${y}`, `${y}${m}${d}`, `${d}${m}${y.slice(2)}`, `${m}${d}${y}`, `${day}${month}${y}`];
}

/** 12345678…, 9876543210…: digits counting up or down (wrapping 9 → 0). */
function countsUpOrDown(text: string): boolean {
  if (!/^\d{8,}$/.test(text)) return false;
  const steps = new Set([...text].slice(1).map((digit, i) => (Number(digit) - Number(text[i]) + 10) % 10));
  return steps.size === 1 && (steps.has(1) || steps.has(9));
}

export function checkPassword(
  password: string,
  confirmation: string,
  citizen: { personalId: string; birthdate: string },
): PasswordProblem | null {
  if (password !== confirmation) return 'mismatch';
  // Characters as a person counts them: "á" is one, whether the keyboard sent it composed or as a + accent.
  const length = [...password.normalize('NFC')].length;
  if (length < MIN_LENGTH) return 'too_short';
  if (length > MAX_LENGTH) return 'too_long';
  const digitsJoined = password.normalize('NFC').toLowerCase().replace(SEPARATORS, '');
  if (digitsJoined.includes(citizen.personalId)) return 'contains_personal_id';
  if (birthdateForms(citizen.birthdate).some((form) => digitsJoined.includes(form))) return 'contains_birthdate';
  const folded = fold(password);
  const withoutSymbols = folded.replace(/[\p{P}\p{S}_]+$/u, '');
  const stem = folded.replace(/[\p{N}\p{P}\p{S}_]+$/u, '');
  if ([folded, withoutSymbols, stem].some((candidate) => candidate.length > 0 && COMMON.has(candidate))) return 'common';
  if (/^(.)\1*$/u.test(folded) || countsUpOrDown(withoutSymbols)) return 'common';
  return null;
}
