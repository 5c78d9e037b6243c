// The jti of each accepted device proof, kept while a proof with that iat could still be accepted, in the database
// so every instance shares it: the same proof sent to two instances at once passes at one of them only.
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

/**
 * Claims the jti for the device in one statement; false when it was already used. A row past its expiry that the
 * purge has not reached is no longer "seen" and is taken over.
 */
export async function claimProofJti(db: Kysely<Schema>, deviceId: string, jti: string, now: Date, keepSeconds: number): Promise<boolean> {
  const claimed = await db
    .insertInto('app_device_proofs')
    .values({ device_id: deviceId, jti, expires_at: new Date(now.getTime() + keepSeconds * 1000) })
    .onConflict((oc) =>
      oc.columns(['device_id', 'jti']).doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') })).where('app_device_proofs.expires_at', '<=', now),
    )
    .returning('jti')
    .executeTakeFirst();
  return claimed !== undefined;
}

export async function purgeProofJtis(db: Kysely<Schema>, now: Date): Promise<void> {
  await db.deleteFrom('app_device_proofs').where('expires_at', '<=', now).execute();
}
