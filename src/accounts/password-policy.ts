// What a new password must satisfy: long enough, not the citizen's own ID number or birthdate, not common.
import { readFileSync } from 'node:fs';

export type PasswordProblem = 'too_short' | 'too_long' | 'mismatch' | 'contains_personal_id' | 'contains_birthdate' | 'common';

export const MIN_LENGTH = 8;
export const MAX_LENGTH = 128;

const COMMON = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter((line) => line && !line.startsWith('#')),
);

/** Ways a birthdate is typed: 12051990, 19900512, 120590, 12/05/1990, 1990-05-12 … */
function birthdateForms(birthdate: string): string[] {
  const [y = '', m = '', d = ''] = birthdate.split('-');
  return [`${d}${m}${y}`, `${y}${m}${d}`, `${d}${m}${y.slice(2)}`, `${m}${d}${y}`, `${d}/${m}/${y}`, `${d}-${m}-${y}`, `${d}.${m}.${y}`, birthdate];
}

export function checkPassword(
  password: string,
  confirmation: string,
  citizen: { personalId: string; birthdate: string },
): PasswordProblem | null {
  if (password !== confirmation) return 'mismatch';
  if ([...password].length < MIN_LENGTH) return 'too_short';
  if (password.length > MAX_LENGTH) return 'too_long';
  const lower = password.toLowerCase();
  if (lower.includes(citizen.personalId)) return 'contains_personal_id';
  if (birthdateForms(citizen.birthdate).some((form) => lower.includes(form))) return 'contains_birthdate';
  const stripped = lower.replace(/[\d\W_]+$/u, '');
  if (COMMON.has(lower) || (stripped.length > 0 && COMMON.has(stripped))) return 'common';
  return null;
}
