// oidc-provider persistence: every model on one table keyed (model, id); see migrations/0001_provider.sql.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import { sql, type Insertable, type Kysely } from 'kysely';
import { prepare } from '../db/prepared.ts';
import type { Schema } from '../db/schema.ts';
import { isAcceptableText } from '../http/acceptable-text.ts';
import type { RelyingParties } from './relying-parties.ts';
import { replayDetectionFind } from './replay-detection.ts';
import { GrantWithdrawn } from './grants.ts';
import { forgetFound, memoized, noteFound, readTogether, resumedInteraction, wasFound, writeHeld, writeLater, writing } from './request-memo.ts';

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

// Models whose rows, once a request found them, are written back only over what is still there (migrations/0021):
// a session or grant ended while the request ran (a password reset, a lock, a revocation) stays ended.
const KEPT_ENDED = new Set(['Session', 'Grant']);

// Models read by an id whose next reads in the same request are known: the token's grant and session (userinfo,
// the token endpoint, introspection), the interaction's session (every sign-in page). One query brings them all.
// Introspection looks a token up under three models at once: one query answers the three.
export const READS_AHEAD: Record<string, readonly string[]> = {
  AccessToken: ['AccessToken', 'ClientCredentials', 'RefreshToken'],
  ClientCredentials: ['AccessToken', 'ClientCredentials', 'RefreshToken'],
  RefreshToken: ['AccessToken', 'ClientCredentials', 'RefreshToken'],
  AuthorizationCode: ['AuthorizationCode'],
  BackchannelAuthenticationRequest: ['BackchannelAuthenticationRequest'],
  Interaction: ['Interaction'],
};

const epoch = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : undefined);

/** A row to store, or (without one) a row to delete; `now` writes this one alone. */
interface PayloadWrite {
  model: string;
  id: string;
  row?: Insertable<Schema['oidc_payloads']>;
  /** The request found this row: it is written only over what is still there. */
  found?: boolean;
  now: () => Promise<void>;
}

export function createAdapterFactory(db: Kysely<Schema>, relyingParties: RelyingParties) {
  // The provider's requests hold their writes to the end (src/oidc/request-memo.ts): these write them together.
  const writeAll = writePayloads(db);
  return function adapterFor(model: string): Adapter {
    if (model === 'Client') return relyingParties.adapter();

    // Built once per model and column (src/db/prepared.ts): the adapter's reads and writes are the hot path.
    const reads = new Map<string, (values: { value: string }) => Promise<Array<{ payload: string; consumed_at: Date | null }>>>();
    const readQuery = (column: 'id' | 'uid' | 'user_code') => {
      let query = reads.get(column);
      if (!query) {
        query = prepare(db, ['value'], (slot) => db
          .selectFrom('oidc_payloads')
          .select([sql<string>`payload::text`.as('payload'), 'consumed_at'])
          .where('model', '=', model)
          .where(column, '=', slot.value));
        reads.set(column, query);
      }
      return query;
    };
    const together = READS_AHEAD[model];
    const readAheadOf = together && readAheadQuery(db, together);
    const sessionWithInteraction = model === 'Session' ? sessionWithInteractionQuery(db) : undefined;
    const find = async (column: 'id' | 'uid' | 'user_code', value: string) => {
      // No row can hold text PostgreSQL refuses to store (NUL, a lone surrogate): such an id is simply not found.
      if (typeof value !== 'string' || !isAcceptableText(value)) return undefined;
      const key = `${model}:${column}:${value}`;
      if (column === 'id' && together && readAheadOf) readTogether(key, together.map((m) => `${m}:id:${value}`), () => readAhead(readAheadOf, { id: value }));
      // A resume (/auth/:uid) reads the session by its cookie, then the interaction its URL names: one query.
      const interaction = column === 'id' ? resumedInteraction() : undefined;
      if (interaction && sessionWithInteraction) readTogether(key, [key, `Interaction:id:${interaction}`], () => readAhead(sessionWithInteraction, { session: value, interaction }));
      const found = await memoized(key, () => read(column, value));
      if (found && KEPT_ENDED.has(model) && typeof found.jti === 'string') noteFound(`${model}:${found.jti}`);
      return found;
    };
    const read = async (column: 'id' | 'uid' | 'user_code', value: string): Promise<string | undefined> => {
      const [row] = await readQuery(column)({ value });
      // Expired rows are still returned until the purge: the provider checks `exp` itself and says "expired".
      return row ? answerOf(row.payload, row.consumed_at) : undefined;
    };
    const store = prepare(db, ['id', 'payload', 'grantId', 'uid', 'userCode', 'expiresAt'], (slot) => db
      .insertInto('oidc_payloads')
      .values({ model, id: slot.id, payload: slot.payload, grant_id: slot.grantId, uid: slot.uid, user_code: slot.userCode, expires_at: sql<Date | null>`${slot.expiresAt}` })
      .onConflict((oc) =>
        oc.columns(['model', 'id']).doUpdateSet((eb) => ({
          payload: eb.ref('excluded.payload'),
          grant_id: eb.ref('excluded.grant_id'),
          uid: eb.ref('excluded.uid'),
          user_code: eb.ref('excluded.user_code'),
          expires_at: eb.ref('excluded.expires_at'),
        })),
      ));

    // A session or grant this request found is saved only over what is still there (KEPT_ENDED).
    const storeFound = prepare(db, ['id', 'payload', 'grantId', 'uid', 'userCode', 'expiresAt'], (slot) => db
      .updateTable('oidc_payloads')
      .set({ payload: slot.payload, grant_id: slot.grantId, uid: slot.uid, user_code: slot.userCode, expires_at: sql<Date | null>`${slot.expiresAt}` })
      .where('model', '=', model)
      .where('id', '=', slot.id)
      .returning('id'));

    const revokeByGrantId = (grantId: string) =>
      writing(GRANTABLE_MODELS, async () => {
        await writeHeld();
        await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
      });
    const thisModel = [model];

    const remove = prepare(db, ['id'], (slot) => db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', slot.id));
    const consumeOnce = prepare(db, ['id', 'at'], (slot) => db
      .updateTable('oidc_payloads')
      .set({ consumed_at: slot.at as unknown as Date })
      .where('model', '=', model)
      .where('id', '=', slot.id)
      .where('consumed_at', 'is', null)
      .returning('grant_id'));

    return {
      upsert: (id, payload, expiresIn) => {
        const row = {
          model,
          id,
          payload: JSON.stringify(payload),
          grant_id: GRANTABLE.has(model) ? (payload.grantId ?? (model === 'Grant' ? id : null)) : null,
          uid: payload.uid ?? null,
          user_code: payload.userCode ?? null,
          expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
        };
        const columns = { id, payload: row.payload, grantId: row.grant_id, uid: row.uid, userCode: row.user_code, expiresAt: row.expires_at };
        const found = KEPT_ENDED.has(model) && wasFound(`${model}:${id}`);
        if (found && model === 'Grant') {
          // At once, not held: whether the citizen withdrew it meanwhile (another tab, the account page) decides what
          // the consent does next (src/interactions/routes.ts).
          return writing(thisModel, async () => {
            await writeHeld();
            const [kept] = await storeFound(columns);
            if (!kept) throw new GrantWithdrawn(id);
          });
        }
        // A session found and ended meanwhile is not written: the request's answer goes out, and what it hands out
        // hangs on the grants that ended with the session.
        const now = found ? async () => void (await storeFound(columns)) : async () => void (await store(columns));
        return writeLater(thisModel, `${model}:${id}`, { model, id, row, found, now }, writeAll, now);
      },
      // Seen DPoP proofs and client assertions: found and recorded in one statement (replay-detection.ts).
      find: model === 'ReplayDetection' ? replayDetectionFind(db) : (id) => find('id', id),
      findByUid: (uid) => find('uid', uid),
      findByUserCode: (userCode) => find('user_code', userCode),
      destroy: (id) => {
        forgetFound(`${model}:${id}`);
        const now = async () => void (await remove({ id }));
        return writeLater(thisModel, `${model}:${id}`, { model, id, now }, writeAll, now);
      },
      // One atomic UPDATE: of two concurrent redemptions exactly one wins; the loser is treated as a replay,
      // which (RFC 6749 §4.1.2) revokes everything the grant already produced.
      consume: (id) => writing(thisModel, async () => {
        // Its answer decides the request: what the request holds goes first, as it would have without holding.
        await writeHeld();
        const [won] = await consumeOnce({ id, at: new Date() });
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

/**
 * Writes held by one request, in one round trip: the rows it ended, then the rows it stored, in that order
 * (migrations/0020_provider_state_writes.sql, 0021_found_rows_stay_ended.sql). Each key appears once: a later write of a key replaced the earlier.
 */
function writePayloads(db: Kysely<Schema>) {
  const writeState = prepare(db, ['gone', 'stored'], (slot) => {
    const call = sql<never>`call write_provider_state(${slot.gone}::jsonb, ${slot.stored}::jsonb)`;
    return { compile: () => call.compile(db) };
  });
  return async (writes: PayloadWrite[]): Promise<void> => {
    if (writes.length === 1) return writes[0]!.now();
    const gone = writes.filter((w) => !w.row).map((w) => ({ model: w.model, id: w.id }));
    // The payload is JSON text already: spliced in as it is, not parsed and written again.
    const stored = writes.flatMap((w) => (w.row ? [`{"model":${JSON.stringify(w.model)},"id":${JSON.stringify(w.id)},"payload":${w.row.payload},"grant_id":${JSON.stringify(w.row.grant_id ?? null)},"uid":${JSON.stringify(w.row.uid ?? null)},"user_code":${JSON.stringify(w.row.user_code ?? null)},"expires_at":${JSON.stringify(w.row.expires_at ?? null)},"found":${w.found === true}}`] : []));
    await writeState({ gone: JSON.stringify(gone), stored: `[${stored.join(',')}]` });
  };
}

/** A row's answer as JSON text (request-memo.ts parses a copy for each reader): its payload, and when it was consumed. */
const answerOf = (payload: string, consumedAt: Date | null): string => {
  const consumed = epoch(consumedAt);
  return consumed ? JSON.stringify({ ...(JSON.parse(payload) as AdapterPayload), consumed }) : payload;
};

/**
 * Rows with the grant and the session each names (a token's `grantId` and `sessionUid`, an interaction's `session.uid`
 * and its consent's grant). Each is a LATERAL lookup of one row, so the plan is an index lookup per row named whatever
 * the statistics say: as plain joins, a table never analyzed (a new database, a server with autovacuum off) got a
 * merge join that sorted every Session on disk for each lookup, 1.3-1.6 s a userinfo call at 67,000 sessions.
 */
function withWhatTheyName(db: Kysely<Schema>) {
  return db
    .selectFrom('oidc_payloads as t')
    .leftJoinLateral(
      (eb) => eb.selectFrom('oidc_payloads as g').select([sql<string>`g.payload::text`.as('payload'), 'g.consumed_at'])
        .where('g.model', '=', sql.lit('Grant')).where('g.id', '=', sql<string>`coalesce(t.payload->>'grantId', t.payload#>>'{result,consent,grantId}')`).limit(sql.lit(1)).as('g'),
      (join) => join.onTrue(),
    )
    .leftJoinLateral(
      (eb) => eb.selectFrom('oidc_payloads as s').select([sql<string>`s.payload::text`.as('payload'), 's.consumed_at'])
        .where('s.model', '=', sql.lit('Session')).where('s.uid', '=', sql<string>`coalesce(t.payload->>'sessionUid', t.payload->'session'->>'uid')`).limit(sql.lit(1)).as('s'),
      (join) => join.onTrue(),
    )
    .select(['t.model', 't.id', sql<string>`t.payload::text`.as('payload'), 't.consumed_at', sql<string | null>`g.payload`.as('grant'), 'g.consumed_at as grant_consumed_at', sql<string | null>`s.payload`.as('session'), 's.consumed_at as session_consumed_at']);
}

/** A row by id under any of `models` (a token under the three it may be), with the grant and session it names. */
export function readAheadLookup(db: Kysely<Schema>, models: readonly string[], id: string) {
  return withWhatTheyName(db).where('t.model', 'in', models.map((model) => sql.lit(model))).where('t.id', '=', id);
}

/** A session by its id and an interaction by its uid, each with the grant and the session it names. */
export function sessionWithInteractionLookup(db: Kysely<Schema>, session: string, interaction: string) {
  return withWhatTheyName(db).where((w) => w.or([
    w.and([w('t.model', '=', sql.lit('Session')), w('t.id', '=', session)]),
    w.and([w('t.model', '=', sql.lit('Interaction')), w('t.id', '=', interaction)]),
  ]));
}

const readAheadQuery = (db: Kysely<Schema>, models: readonly string[]) => prepare(db, ['id'], (slot) => readAheadLookup(db, models, slot.id));
const sessionWithInteractionQuery = (db: Kysely<Schema>) => prepare(db, ['session', 'interaction'], (slot) => sessionWithInteractionLookup(db, slot.session, slot.interaction));

type ReadAheadRow = { model: string; id: string; payload: string; consumed_at: Date | null; grant: string | null; grant_consumed_at: Date | null; session: string | null; session_consumed_at: Date | null };

/**
 * What one read-ahead query found, as memo keys: each row's answer under its model and id (a key the query was
 * asked for and did not find is absent: not there), and the grant's and the session's when a row names them.
 */
async function readAhead<Slot extends string>(query: (values: Record<Slot, unknown>) => Promise<ReadAheadRow[]>, values: Record<Slot, string>): Promise<Map<string, string | undefined>> {
  const rows = await query(values);
  const answers = new Map<string, string | undefined>();
  for (const row of rows) {
    answers.set(`${row.model}:id:${row.id}`, answerOf(row.payload, row.consumed_at));
    const payload = JSON.parse(row.payload) as { grantId?: unknown; sessionUid?: unknown; session?: { uid?: unknown }; result?: { consent?: { grantId?: unknown } } };
    const grantId = payload.grantId ?? payload.result?.consent?.grantId;
    if (typeof grantId === 'string') answers.set(`Grant:id:${grantId}`, row.grant ? answerOf(row.grant, row.grant_consumed_at) : undefined);
    const sessionUid = payload.sessionUid ?? payload.session?.uid;
    if (typeof sessionUid === 'string') answers.set(`Session:uid:${sessionUid}`, row.session ? answerOf(row.session, row.session_consumed_at) : undefined);
  }
  return answers;
}

/** Deletes rows past their expiry; returns how many went. */
export async function purgeExpired(db: Kysely<Schema>, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
