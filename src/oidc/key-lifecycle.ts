// The lifecycle of a signing key, as pure rules over the provider_keys rows: next (published, not yet signing),
// active (signs), retiring (published so that tokens it signed still verify), withdrawn (gone from /jwks).
import type { JWK } from 'jose';

export const SIGNING_ALGS = ['RS256', 'ES256', 'PS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export type KeyState = 'next' | 'active' | 'retiring' | 'withdrawn';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  material: JWK;
  createdAt: Date;
  activatesAt: Date;
  deactivatedAt: Date | null;
  retiredAt: Date | null;
}

const withdrawn = (row: SigningKeyRow, now: Date) => row.retiredAt !== null && row.retiredAt <= now;

/**
 * The key of this alg that signs at `now`: the one activated last among those not withdrawn. With none activated
 * yet (a clock behind the one that stored the first keys), the first to activate: signing with a published key
 * beats not signing at all.
 */
function signerOf(rows: readonly SigningKeyRow[], alg: string, now: Date): SigningKeyRow | undefined {
  const candidates = rows.filter((row) => row.alg === alg && !withdrawn(row, now)).sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
  return candidates.filter((row) => row.activatesAt <= now).at(-1) ?? candidates[0];
}

export function keyState(row: SigningKeyRow, rows: readonly SigningKeyRow[], now: Date): KeyState {
  if (withdrawn(row, now)) return 'withdrawn';
  if (signerOf(rows, row.alg, now)?.kid === row.kid) return 'active';
  return row.activatesAt > now ? 'next' : 'retiring';
}

/**
 * The provider's key set at `now`: every published key, each alg's active key ahead of the others of its alg.
 * oidc-provider signs with the first key of the wanted alg (lib/helpers/keystore.js selectForSign keeps the
 * configured order among equally scored keys) and verifies with any of them by kid.
 */
export function keySetAt(rows: readonly SigningKeyRow[], now: Date): { keys: JWK[]; missing: string[] } {
  const published = rows.filter((row) => !withdrawn(row, now));
  const signers = SIGNING_ALGS.map((alg) => signerOf(published, alg, now));
  const first = signers.filter((row): row is SigningKeyRow => row !== undefined);
  const rest = published.filter((row) => !first.includes(row)).sort((a, b) => a.activatesAt.getTime() - b.activatesAt.getTime());
  return {
    keys: [...first, ...rest].map((row) => row.material),
    missing: SIGNING_ALGS.filter((_alg, i) => signers[i] === undefined),
  };
}

/** The next instant after `now` at which the key set changes (an activation or a withdrawal), if any. */
export function nextChange(rows: readonly SigningKeyRow[], now: Date): Date | undefined {
  const instants = rows.flatMap((row) => [row.activatesAt, row.retiredAt]).filter((at): at is Date => at !== null && at > now);
  return instants.sort((a, b) => a.getTime() - b.getTime())[0];
}
