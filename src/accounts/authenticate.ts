// Checks a personal ID number and password. Every failure looks and takes the same, so nobody learns which ID numbers have accounts.
import type { Accounts, CitizenAccount } from './accounts.ts';
import type { PasswordHasher } from './passwords.ts';

export type Authentication =
  | { ok: true; account: CitizenAccount }
  | { ok: false; reason: 'malformed_id' | 'invalid_credentials' };

/** Accepts the number as people type it: spaces, dots and dashes between digits are ignored. */
export function normalizePersonalId(input: string): string {
  return input.replace(/[\s.\-]/g, '');
}

export async function authenticate(
  accounts: Accounts,
  passwords: PasswordHasher,
  input: { personalId: string; password: string },
): Promise<Authentication> {
  const personalId = normalizePersonalId(input.personalId);
  // The format is public knowledge: saying "12 digits" reveals nothing about who has an account.
  if (!/^\d{12}$/.test(personalId)) return { ok: false, reason: 'malformed_id' };
  const account = await accounts.findByPersonalId(personalId);
  if (!account) {
    await passwords.verifyNothing(input.password);
    return { ok: false, reason: 'invalid_credentials' };
  }
  const matches = await passwords.verify(account.passwordHash, input.password);
  if (!matches || account.status !== 'active') return { ok: false, reason: 'invalid_credentials' };
  return { ok: true, account };
}
