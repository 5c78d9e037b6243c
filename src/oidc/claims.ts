// The claims catalogue (architecture.md): which scope releases which claims, at which assurance level.
import { fullName, type CitizenAccount } from '../accounts/accounts.ts';
import type { RecordIdentity } from '../accounts/identity.ts';

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
  address: { claims: ['address', 'place_of_origin'], level: 2 },
  citizenship: { claims: ['nationality', 'ethnicity', 'religion'], level: 2 },
  id_card: { claims: ['id_card'], level: 2 },
  driver_license: { claims: ['driver_licenses'], level: 2 },
  vehicle_registration: { claims: ['vehicles'], level: 2 },
  health_insurance: { claims: ['health_insurance'], level: 2 },
  social_insurance: { claims: ['social_insurance_number'], level: 2 },
  dependents: { claims: ['dependents'], level: 2 },
} as const satisfies Record<string, ScopeEntry>;

export type CatalogueScope = keyof typeof CATALOGUE;

/** The scope each claim belongs to. */
export const CLAIM_SCOPE: ReadonlyMap<string, CatalogueScope> = new Map(
  Object.entries(CATALOGUE).flatMap(([scope, entry]) => entry.claims.map((claim) => [claim, scope as CatalogueScope] as const)),
);

/** oidc-provider's `claims` option: scope → claim names it releases. */
export function providerClaimsConfig(): Record<string, string[] | null> {
  const config: Record<string, string[] | null> = { acr: null, amr: null, auth_time: null, sid: null, verified_claims: null };
  for (const [scope, entry] of Object.entries(CATALOGUE)) {
    // openid's acr, amr and auth_time come from the authentication, not the account: listing them puts them in every ID token.
    config[scope] = [...entry.claims];
  }
  return config;
}

export interface ReleaseContext {
  /** The level the authentication behind the token reached, capped at the client's approval. */
  level: 1 | 2;
  /** Scopes the relying party is approved for (its registered `scope`). */
  approvedScopes: ReadonlySet<string>;
  /** Scopes granted to this token. */
  tokenScopes: ReadonlySet<string>;
}

/**
 * The one place that decides what may leave: a claim goes out only if the relying party is approved for its
 * scope and the authentication reached the claim's level. The personal ID number needs its own scope (not just
 * the claims parameter). Whatever the scope or claims parameter asked, nothing else is ever released.
 */
export function releasable(claims: Record<string, unknown>, context: ReleaseContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [claim, value] of Object.entries(claims)) {
    if (value === undefined) continue;
    if (claim === 'sub') {
      out.sub = value;
      continue;
    }
    const scope = CLAIM_SCOPE.get(claim);
    if (!scope || CATALOGUE[scope].level > context.level || !context.approvedScopes.has(scope)) continue;
    if (claim === 'personal_id' && !context.tokenScopes.has('personal_id')) continue;
    out[claim] = value;
  }
  return out;
}

/** Every claim the catalogue knows about this citizen (level-2 parts only when the record was loaded). */
export function citizenClaims(account: CitizenAccount, sub: string, record?: RecordIdentity): Record<string, unknown> {
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
    ...(record ? recordClaims(record) : {}),
  };
}

function recordClaims(r: RecordIdentity): Record<string, unknown> {
  const residence = r.residence;
  const locality = residence ? [residence.ward, residence.district].filter(Boolean).join(', ') : '';
  return {
    address: residence
      ? {
          formatted: [residence.street, residence.ward, residence.district, residence.province, 'Việt Nam'].filter(Boolean).join(', '),
          street_address: residence.street ?? undefined,
          locality: locality || undefined,
          region: residence.province ?? undefined,
          country: 'VN',
        }
      : undefined,
    place_of_origin: r.placeOfOrigin ?? undefined,
    nationality: r.nationality ?? undefined,
    ethnicity: r.ethnicity ?? undefined,
    religion: r.religion ?? undefined,
    id_card: r.idCard
      ? { number: r.idCard.number, issue_date: r.idCard.issueDate, expiry_date: r.idCard.expiryDate ?? undefined, issuer: r.idCard.issuer ?? undefined }
      : undefined,
    driver_licenses: r.driverLicenses.length
      ? r.driverLicenses.map((l) => ({ number: l.number, classes: l.classes, issue_date: l.issueDate, expiry_date: l.expiryDate ?? undefined }))
      : undefined,
    vehicles: r.vehicles.length ? r.vehicles.map((v) => ({ plate: v.plate, type: v.type, brand: v.brand ?? undefined, registered_at: v.registeredAt })) : undefined,
    health_insurance: r.healthInsurance
      ? { card_number: r.healthInsurance.cardNumber, clinic: r.healthInsurance.clinic, valid_from: r.healthInsurance.validFrom, valid_to: r.healthInsurance.validTo ?? undefined }
      : undefined,
    social_insurance_number: r.socialInsuranceNumber ?? undefined,
    dependents: r.dependents.length ? r.dependents.map((d) => ({ name: d.name, birthdate: d.birthdate, personal_id: d.personalId })) : undefined,
  };
}
