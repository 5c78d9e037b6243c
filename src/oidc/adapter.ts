// oidc-provider persistence: every model on one table keyed (model, id); see migrations/0001_provider.sql.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { isAcceptableText } from '../http/acceptable-text.ts';
import type { RelyingParties } from './relying-parties.ts';
import { replayDetectionFind } from './replay-detection.ts';
import { memoized, writing } from './request-memo.ts';

// Models whose rows carry a grantId and die with the grant (revokeByGrantId).
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'Grant',
]);

const GRANTABLE_MODELS = [...GRANTABLE];

const epoch = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : undefined);

export function createAdapterFactory(db: Kysely<Schema>, relyingParties: RelyingParties) {
  return function adapterFor(model: string): Adapter {
    if (model === 'Client') return relyingParties.adapter();

    const find = async (column: 'id' | 'uid' | 'user_code', value: string) => {
      // No row can hold text PostgreSQL refuses to store (NUL, a lone surrogate): such an id is simply not found.
      if (typeof value !== 'string' || !isAcceptableText(value)) return undefined;
      return memoized(`${model}:${column}:${value}`, () => read(column, value));
    };
    const read = async (column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> => {
      const row = await db
        .selectFrom('oidc_payloads')
        .select(['payload', 'consumed_at'])
        .where('model', '=', model)
        .where(column, '=', value)
        .executeTakeFirst();
      // Expired rows are still returned until the purge: the provider checks `exp` itself and says "expired".
      if (!row) return undefined;
      const consumed = epoch(row.consumed_at);
      return { ...(row.payload as AdapterPayload), ...(consumed ? { consumed } : {}) };
    };

    const revokeByGrantId = (grantId: string) =>
      writing(GRANTABLE_MODELS, async () => void (await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute()));
    const thisModel = [model];

    return {
      upsert: (id, payload, expiresIn) => writing(thisModel, async () => {
        const row = {
          model,
          id,
          payload: JSON.stringify(payload),
          grant_id: GRANTABLE.has(model) ? (payload.grantId ?? (model === 'Grant' ? id : null)) : null,
          uid: payload.uid ?? null,
          user_code: payload.userCode ?? null,
          expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        };
        await db
          .insertInto('oidc_payloads')
          .values(row)
          .onConflict((oc) =>
            oc.columns(['model', 'id']).doUpdateSet({
              payload: row.payload,
              grant_id: row.grant_id,
              uid: row.uid,
              user_code: row.user_code,
              expires_at: row.expires_at,
            }),
          )
          .execute();
      }),
      // Seen DPoP proofs and client assertions: found and recorded in one statement (replay-detection.ts).
      find: model === 'ReplayDetection' ? replayDetectionFind(db) : (id) => find('id', id),
      findByUid: (uid) => find('uid', uid),
      findByUserCode: (userCode) => find('user_code', userCode),
      destroy: (id) => writing(thisModel, async () => void (await db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute())),
      // One atomic UPDATE: of two concurrent redemptions exactly one wins; the loser is treated as a replay,
      // which (RFC 6749 §4.1.2) revokes everything the grant already produced.
      consume: (id) => writing(thisModel, async () => {
        const won = await db
          .updateTable('oidc_payloads')
          .set({ consumed_at: new Date() })
          .where('model', '=', model)
          .where('id', '=', id)
          .where('consumed_at', 'is', null)
          .returning('grant_id')
          .executeTakeFirst();
        if (won) return;
        const row = await db
          .selectFrom('oidc_payloads')
          .select('grant_id')
          .where('model', '=', model)
          .where('id', '=', id)
          .executeTakeFirst();
        if (row?.grant_id) await revokeByGrantId(row.grant_id);
        throw new errors.InvalidGrant('grant already consumed');
      }),
      revokeByGrantId,
    };
  };
}

/** Deletes rows past their expiry; returns how many went. */
export async function purgeExpired(db: Kysely<Schema>, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
