// Rotating signing keys: the next key is stored (so published by every instance at its next reload), signs from
// `activationDelaySeconds` on (past relying parties' JWKS caches), and the key it replaces stays published until
// every token it signed has expired (token-lifetimes.ts), then leaves /jwks.
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { keyState, SIGNING_ALGS, type KeyState, type SigningAlg } from './key-lifecycle.ts';
import { generateSigningKey, insertSigningKey, loadOrCreateKeys, lockKeys, signingKeyRows } from './keys.ts';
import { DEFAULT_TTL, verificationWindowSeconds, type TokenTtl } from './token-lifetimes.ts';

export interface RotationPlan {
  alg: SigningAlg;
  /** The key published now, signing from activatesAt. */
  next: string;
  activatesAt: Date;
  /** The key it replaces: signs until activatesAt, leaves /jwks at withdrawnAt. */
  previous: string | undefined;
  withdrawnAt: Date | undefined;
}

/** A rotation refused for one alg: its next key is already published and not yet signing. */
export interface RotationRefusal {
  alg: SigningAlg;
  pending: string;
  activatesAt: Date;
}

export async function rotateSigningKeys(
  db: Kysely<Schema>,
  options: { algs: readonly SigningAlg[]; now: Date; activationDelaySeconds: number; ttl?: TokenTtl },
): Promise<{ rotated: RotationPlan[]; refused: RotationRefusal[] }> {
  const { now, algs } = options;
  const activatesAt = new Date(now.getTime() + options.activationDelaySeconds * 1000);
  const window = verificationWindowSeconds(options.ttl ?? DEFAULT_TTL, await longestJwtAccessTokenTtl(db));
  const withdrawnAt = new Date(activatesAt.getTime() + window * 1000);
  // Keys are generated before the transaction: an RSA key takes a while, and the lock would be held meanwhile.
  const generated = new Map(await Promise.all(algs.map(async (alg) => [alg, await generateSigningKey(alg)] as const)));
  // A database no provider has started yet gets its first keys, active at once, as a first start makes them.
  await loadOrCreateKeys(db, now);
  return db.transaction().execute(async (trx) => {
    await lockKeys(trx);
    const rows = await signingKeyRows(trx, now);
    const rotated: RotationPlan[] = [];
    const refused: RotationRefusal[] = [];
    for (const alg of algs) {
      const pending = rows.find((row) => row.alg === alg && row.activatesAt > now);
      if (pending) {
        refused.push({ alg, pending: pending.kid, activatesAt: pending.activatesAt });
        continue;
      }
      const jwk = generated.get(alg)!;
      await insertSigningKey(trx, jwk, activatesAt);
      const previous = rows.find((row) => row.alg === alg && keyState(row, rows, now) === 'active');
      if (previous) {
        await trx
          .updateTable('provider_keys')
          .set({ deactivated_at: activatesAt, retired_at: withdrawnAt })
          .where('kid', '=', previous.kid)
          .execute();
      }
      rotated.push({ alg, next: jwk.kid!, activatesAt, previous: previous?.kid, withdrawnAt: previous ? withdrawnAt : undefined });
    }
    return { rotated, refused };
  });
}

export interface KeyListing {
  kid: string;
  alg: string;
  state: KeyState;
  createdAt: Date;
  activatesAt: Date;
  deactivatedAt: Date | null;
  retiredAt: Date | null;
}

/** Every signing key ever stored, newest first, with its state at `now`. */
export async function listSigningKeys(db: Kysely<Schema>, now: Date): Promise<KeyListing[]> {
  const rows = await signingKeyRows(db, now, { withdrawn: true });
  return rows
    .map((row) => ({ kid: row.kid, alg: row.alg, state: keyState(row, rows, now), createdAt: row.createdAt, activatesAt: row.activatesAt, deactivatedAt: row.deactivatedAt, retiredAt: row.retiredAt }))
    .sort((a, b) => b.activatesAt.getTime() - a.activatesAt.getTime() || SIGNING_ALGS.indexOf(a.alg as SigningAlg) - SIGNING_ALGS.indexOf(b.alg as SigningAlg));
}

/** The longest lifetime an API is registered for, if its access tokens are JWTs (signed with our keys). */
async function longestJwtAccessTokenTtl(db: Kysely<Schema>): Promise<number> {
  const row = await db
    .selectFrom('resource_servers')
    .select((eb) => eb.fn.max('access_token_ttl').as('longest'))
    .where('access_token_format', '=', 'jwt')
    .executeTakeFirst();
  return Number(row?.longest ?? 0);
}
