// The seen-jti set of DPoP proofs and client assertions (oidc-provider's ReplayDetection model), shared by every
// instance on the database and atomic across them.
//
// oidc-provider's `ReplayDetection.unique` (lib/models/replay_detection.js) asks the adapter `find(id)` and, when
// nothing is there, `upsert`s: two statements, between which a proof sent to two instances at once could pass
// both. So here `find` itself claims the id in one statement — the instance whose INSERT wins hears "not seen",
// every other one gets the row back and refuses the proof as a replay. The upsert that follows only writes the
// real payload and expiry over the claim. Nothing beyond the public Adapter contract is relied on.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

const MODEL = 'ReplayDetection';
// How long a claim lasts if its upsert never comes (the request failed in between). The DPoP window is 300 s.
const CLAIM_SECONDS = 600;

export function replayDetectionFind(db: Kysely<Schema>): Adapter['find'] {
  return async (id) => {
    const now = new Date();
    const exp = Math.floor(now.getTime() / 1000) + CLAIM_SECONDS;
    const claim: AdapterPayload = { jti: id, kind: MODEL, exp };
    const won = await db
      .insertInto('oidc_payloads')
      .values({ model: MODEL, id, payload: JSON.stringify(claim), expires_at: new Date(exp * 1000) })
      // A row past its expiry that the purge has not reached yet is no longer "seen": take it over.
      .onConflict((oc) =>
        oc
          .columns(['model', 'id'])
          .doUpdateSet((eb) => ({ payload: eb.ref('excluded.payload'), expires_at: eb.ref('excluded.expires_at'), consumed_at: null }))
          .where('oidc_payloads.expires_at', '<=', now),
      )
      .returning('id')
      .executeTakeFirst();
    if (won) return undefined;
    const seen = await db.selectFrom('oidc_payloads').select('payload').where('model', '=', MODEL).where('id', '=', id).executeTakeFirst();
    // Gone in between (purged): still a replay, since another request claimed it first.
    return (seen?.payload as AdapterPayload | undefined) ?? claim;
  };
}
