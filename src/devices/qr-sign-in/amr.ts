// How the citizen unlocked the device key, as the app reports it, in RFC 8176 authentication method references.
// The device key is a hardware-held key (hwk); with the PIN or a biometric it makes two factors (mfa).
import type { UserVerification } from './requests.ts';

export const USER_VERIFICATIONS = ['pin', 'biometric'] as const satisfies readonly UserVerification[];

const UNLOCKED_BY: Record<UserVerification, string> = { pin: 'pin', biometric: 'fpt' };

export function amrFor(userVerification: UserVerification): string[] {
  return ['hwk', UNLOCKED_BY[userVerification], 'mfa'];
}
