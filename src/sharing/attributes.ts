// What a citizen can share at a counter, and the values: the same claims assembly relying parties get
// (oidc/claims.ts), so a counter sees exactly what a service would for the same attribute.
import type { CitizenAccount } from '../accounts/accounts.ts';
import { ageOn } from '../accounts/age.ts';
import type { RecordIdentity } from '../accounts/identity.ts';
import { citizenClaims } from '../oidc/claims.ts';

/** Shareable attributes, in the order a counter is shown them. Each is one selectively disclosable claim. */
export const SHAREABLE = ['name', 'birthdate', 'age_over_18', 'gender', 'personal_id', 'nationality', 'address', 'place_of_origin', 'id_card'] as const;
export type Shareable = (typeof SHAREABLE)[number];

export function isShareable(value: unknown): value is Shareable {
  return typeof value === 'string' && (SHAREABLE as readonly string[]).includes(value);
}

/**
 * The chosen attributes' values for this citizen on `today`. Attributes the record has no value for are
 * listed in `missing` (the caller refuses rather than issue a credential that silently lacks them).
 */
export function shareableValues(account: CitizenAccount, record: RecordIdentity, chosen: readonly Shareable[], today: Date): { values: Record<string, unknown>; missing: Shareable[] } {
  const all: Record<string, unknown> = { ...citizenClaims(account, account.id, record), age_over_18: ageOn(account.birthdate, today) >= 18 };
  const values: Record<string, unknown> = {};
  const missing: Shareable[] = [];
  for (const attribute of SHAREABLE.filter((a) => chosen.includes(a))) {
    if (all[attribute] === undefined || all[attribute] === null) missing.push(attribute);
    else values[attribute] = all[attribute];
  }
  return { values, missing };
}
