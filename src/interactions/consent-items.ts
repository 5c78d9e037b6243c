// What a consent page lists, said for what each item is at this sign-in: released now, released only by a level-2
// sign-in, or not in the citizen's record. The grant still takes every scope consented to (a later level-2 sign-in
// releases it without asking again, which the page says), so nothing asked for is hidden.
import type { Kysely } from 'kysely';
import type { CitizenAccount } from '../accounts/accounts.ts';
import { recordIdentity } from '../accounts/identity.ts';
import type { Schema } from '../db/schema.ts';
import { CATALOGUE, CLAIM_SCOPE, citizenClaims, releasable } from '../oidc/claims.ts';
import type { Level } from '../oidc/levels.ts';
import { claimLabels, type Translate } from './i18n.ts';

export interface ConsentAsk {
  /** Every claim the page asks for: the scopes' claims and those of the claims parameter. */
  claims: ReadonlySet<string>;
  /** The level this sign-in reached, capped at the client's approval. */
  level: Level;
  approvedScopes: ReadonlySet<string>;
  tokenScopes: ReadonlySet<string>;
}

export interface ConsentLists {
  /** Level-1 information released now. */
  basic: string[];
  /** Level-2 information released now (a level-2 sign-in). */
  verified: string[];
  /** Level-2 information this sign-in does not release. */
  later: string[];
  /** Asked for, but the citizen's record holds none. */
  absent: string[];
}

const levelOf = (claim: string): Level => (claim === 'verified_claims' ? 2 : CATALOGUE[CLAIM_SCOPE.get(claim) ?? 'openid'].level);

export async function consentLists(db: Kysely<Schema>, account: CitizenAccount | undefined, ask: ConsentAsk, t: Translate): Promise<ConsentLists> {
  const claims = [...ask.claims];
  // The same rule the tokens follow (oidc/claims.ts releasable), on the citizen's own data.
  const record = account && ask.level === 2 && claims.some((claim) => levelOf(claim) === 2) ? await recordIdentity(db, account) : undefined;
  const values = account ? citizenClaims(account, account.id, record) : {};
  const released = releasable(values, { level: ask.level, approvedScopes: ask.approvedScopes, tokenScopes: ask.tokenScopes });
  const now: string[] = [];
  const later: string[] = [];
  const absent: string[] = [];
  for (const claim of claims) {
    if (levelOf(claim) > ask.level) later.push(claim);
    else if (claim === 'sub' || claim in released || (claim === 'verified_claims' && record)) now.push(claim);
    else if (values[claim] === undefined) absent.push(claim);
  }
  const basic = claimLabels(now.filter((claim) => levelOf(claim) === 1), t);
  const verified = claimLabels(now.filter((claim) => levelOf(claim) === 2), t);
  const shown = new Set([...basic, ...verified]);
  return {
    basic,
    verified,
    later: claimLabels(later, t),
    // A name without a middle name is still a name: a label released under another claim is not "absent".
    absent: claimLabels(absent, t).filter((label) => !shown.has(label)),
  };
}
