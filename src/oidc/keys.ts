// Signing keys (RS256, ES256, PS256 for banks), cookie keys and the pairwise salt: generated on first start, stored,
// shared by every instance. Signing keys rotate (key-rotation.ts); their lifecycle rules are in key-lifecycle.ts.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { sql, type Kysely, type Transaction } from 'kysely';
import { ADVISORY_LOCKS } from '../db/locks.ts';
import type { Schema } from '../db/schema.ts';
import { keySetAt, SIGNING_ALGS, type SigningAlg, type SigningKeyRow } from './key-lifecycle.ts';

export interface ProviderKeys {
  /** Private JWKs, in the order the provider prefers them: each alg's active key first. */
  signing: JWK[];
  /** Cookie signing secrets, newest first. */
  cookie: string[];
  /** Keys the pairwise subjects: the same for every instance and forever. */
  pairwiseSalt: string;
}

export async function generateSigningKey(alg: SigningAlg): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg !== 'ES256' ? { modulusLength: 3072 } : {}) });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

/** Every signing key not withdrawn by `now`, with its lifecycle dates. */
export async function signingKeyRows(db: Kysely<Schema>, now: Date, options: { withdrawn?: boolean } = {}): Promise<SigningKeyRow[]> {
  let query = db
    .selectFrom('provider_keys')
    .select(['kid', 'alg', 'material', 'created_at', 'activates_at', 'deactivated_at', 'retired_at'])
    .where('use', '=', 'sig');
  if (!options.withdrawn) query = query.where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now)]));
  const rows = await query.orderBy('activates_at').orderBy('kid').execute();
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    material: row.material as JWK,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
    deactivatedAt: row.deactivated_at,
    retiredAt: row.retired_at,
  }));
}

export async function insertSigningKey(trx: Transaction<Schema>, jwk: JWK, activatesAt: Date): Promise<void> {
  await trx
    .insertInto('provider_keys')
    .values({ kid: jwk.kid!, use: 'sig', alg: jwk.alg!, material: JSON.stringify(jwk), activates_at: activatesAt, retired_at: null })
    .execute();
}

export const lockKeys = (trx: Transaction<Schema>) => sql`SELECT pg_advisory_xact_lock(${sql.lit(ADVISORY_LOCKS.keys)})`.execute(trx);

export async function loadOrCreateKeys(db: Kysely<Schema>, now: Date = new Date()): Promise<ProviderKeys> {
  return db.transaction().execute(async (trx) => {
    await lockKeys(trx);
    // An alg with no key signing now (a new database, or a new alg) gets one, active at once.
    let signing = keySetAt(await signingKeyRows(trx, now), now);
    for (const alg of signing.missing) await insertSigningKey(trx, await generateSigningKey(alg as SigningAlg), now);
    if (signing.missing.length) signing = keySetAt(await signingKeyRows(trx, now), now);

    // Secrets: cookie keys (newest first) and the pairwise-subject salt, which must never change once used.
    const rows = await trx
      .selectFrom('provider_keys')
      .select(['use', 'material'])
      .where('use', 'in', ['cookie', 'pairwise'])
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .execute();
    const secrets = async (use: 'cookie' | 'pairwise') => {
      const stored = rows.filter((r) => r.use === use).map((r) => String(r.material.secret));
      if (stored.length) return stored;
      const secret = randomBytes(32).toString('base64url');
      await trx
        .insertInto('provider_keys')
        .values({ kid: `${use}-${randomBytes(8).toString('hex')}`, use, alg: 'HS256', material: JSON.stringify({ secret }), retired_at: null })
        .execute();
      return [secret];
    };
    const cookie = await secrets('cookie');
    const [pairwiseSalt] = await secrets('pairwise');
    return { signing: signing.keys, cookie, pairwiseSalt: pairwiseSalt! };
  });
}
