// Password hashing with argon2id (OWASP parameters by default, tunable by configuration).
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

export interface Argon2Params {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the time of one verification without an account, so an unknown ID number answers as slowly as a known one. */
  verifyNothing(password: string): Promise<void>;
}

export function passwordHasher(params: Argon2Params): PasswordHasher {
  const options = { type: argon2.argon2id as 2, ...params };
  // One password however the keyboard composed its diacritics (Vietnamese input sends either form).
  const nfc = (password: string) => password.normalize('NFC');
  const hash = (password: string) => argon2.hash(nfc(password), options);
  let decoy: Promise<string> | undefined;
  return {
    hash,
    async verify(stored, password) {
      try {
        return await argon2.verify(stored, nfc(password));
      } catch {
        return false; // a malformed stored hash is a failed sign-in, never a crash
      }
    },
    async verifyNothing(password) {
      decoy ??= hash(randomBytes(16).toString('base64url'));
      await argon2.verify(await decoy, nfc(password)).catch(() => false);
    },
  };
}
