// Signing keys (RS256, ES256, PS256 for banks), cookie keys and the pairwise salt: generated on first start, stored, shared by every instance.
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { sql, type Kysely } from 'kysely';
import { ADVISORY_LOCKS } from '../db/locks.ts';
import type { Schema } from '../db/schema.ts';

export interface ProviderKeys {
  /** Private JWKs, in the order the provider prefers them. */
  signing: JWK[];
  /** Cookie signing secrets, newest first. */
  cookie: string[];
  /** Keys the pairwise subjects: the same for every instance and forever. */
  pairwiseSalt: string;
}

const SIGNING_ALGS = ['RS256', 'ES256', 'PS256'] as const;

async function generateSigningKey(alg: (typeof SIGNING_ALGS)[number]): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg !== 'ES256' ? { modulusLength: 3072 } : {}) });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) };
}

export async function loadOrCreateKeys(db: Kysely<Schema>): Promise<ProviderKeys> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${sql.lit(ADVISORY_LOCKS.keys)})`.execute(trx);
    const rows = await trx
      .selectFrom('provider_keys')
      .select(['kid', 'use', 'alg', 'material'])
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .execute();

    const signing: JWK[] = [];
    for (const alg of SIGNING_ALGS) {
      const stored = rows.find((r) => r.use === 'sig' && r.alg === alg);
      if (stored) {
        signing.push(stored.material as JWK);
        continue;
      }
      const jwk = await generateSigningKey(alg);
      await trx
        .insertInto('provider_keys')
        .values({ kid: jwk.kid!, use: 'sig', alg, material: JSON.stringify(jwk), retired_at: null })
        .execute();
      signing.push(jwk);
    }

    // Secrets: cookie keys (newest first) and the pairwise-subject salt, which must never change once used.
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
    return { signing, cookie, pairwiseSalt: pairwiseSalt! };
  });
}
