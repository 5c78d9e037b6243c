// The claims catalogue (architecture.md): which scope releases which claims, at which assurance level.
import { fullName, type CitizenAccount } from '../accounts/accounts.ts';

export const ACR = { level1: 'urn:vn:eid:loa:1', level2: 'urn:vn:eid:loa:2' } as const;
export const ACR_VALUES = [ACR.level1, ACR.level2];

export function acrForLevel(level: 1 | 2): string {
  return level === 2 ? ACR.level2 : ACR.level1;
}

export interface ScopeEntry {
  claims: readonly string[];
  /** The lowest assurance level at which these claims may be released. */
  level: 1 | 2;
}

export const CATALOGUE = {
  openid: { claims: ['sub', 'acr', 'amr', 'auth_time'], level: 1 },
  profile: { claims: ['name', 'family_name', 'middle_name', 'given_name', 'birthdate', 'gender'], level: 1 },
  personal_id: { claims: ['personal_id'], level: 1 },
  phone: { claims: ['phone_number', 'phone_number_verified'], level: 1 },
  email: { claims: ['email', 'email_verified'], level: 1 },
} as const satisfies Record<string, ScopeEntry>;

export type CatalogueScope = keyof typeof CATALOGUE;

/** oidc-provider's `claims` option: scope → claim names it releases. */
export function providerClaimsConfig(): Record<string, string[] | null> {
  const config: Record<string, string[] | null> = { acr: null, amr: null, auth_time: null, sid: null };
  for (const [scope, entry] of Object.entries(CATALOGUE)) {
    // openid's acr, amr and auth_time come from the authentication, not the account: listing them puts them in every ID token.
    config[scope] = [...entry.claims];
  }
  return config;
}

/** Every claim the catalogue knows about this citizen; the provider filters them by scope and claims request. */
export function citizenClaims(account: CitizenAccount, sub: string): Record<string, unknown> {
  return {
    sub,
    name: fullName(account),
    family_name: account.familyName,
    middle_name: account.middleName || undefined,
    given_name: account.givenName,
    birthdate: account.birthdate,
    gender: account.sex,
    personal_id: account.personalId,
    phone_number: account.phone ?? undefined,
    phone_number_verified: account.phone ? account.phoneVerified : undefined,
    email: account.email ?? undefined,
    email_verified: account.email ? account.emailVerified : undefined,
  };
}
