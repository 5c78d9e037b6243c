// The ciba_requests table: back-channel authentication requests as the e-ID app lists and answers them, and the
// pace a polling bank must keep. The provider's own request lives in oidc_payloads; this row points at it.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { ADVISORY_LOCKS } from '../db/locks.ts';
import type { Schema } from '../db/schema.ts';

export interface NewCibaRequest {
  authReqId: string;
  /** null: nobody the app can ask; the request is kept all the same (and only expires). */
  accountId: string | null;
  clientId: string;
  hintDigest: string;
  serviceName: string;
  serviceDomain: string | null;
  bindingMessage: string | null;
  scopes: string[];
  claims: string[];
  level: 1 | 2;
  expiresAt: Date;
  pollInterval: number;
}

/** A request as the app shows it to the citizen. */
export interface PendingCibaRequest {
  id: string;
  clientId: string;
  serviceName: string;
  serviceDomain: string | null;
  bindingMessage: string | null;
  scopes: string[];
  claims: string[];
  level: 1 | 2;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Records the request unless this client already has `maxWaiting` waiting for the same login_hint (false, nothing
 * written). Counted and written under a lock on the (client, hint) pair: requests sent all at once wait for each
 * other, so the limit holds for a burst as it does for requests sent one after another.
 */
export async function recordCibaRequest(db: Kysely<Schema>, request: NewCibaRequest, limit: { maxWaiting: number; now: Date }): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${sql.lit(ADVISORY_LOCKS.cibaWaiting)}, hashtext(${`${request.clientId}\n${request.hintDigest}`}))`.execute(trx);
    if ((await waitingFor(trx, request.clientId, request.hintDigest, limit.now)) >= limit.maxWaiting) return false;
    await insertRequest(trx, request);
    return true;
  });
}

async function insertRequest(db: Kysely<Schema>, request: NewCibaRequest): Promise<void> {
  await db
    .insertInto('ciba_requests')
    .values({
      auth_req_id: request.authReqId,
      id: randomBytes(18).toString('base64url'),
      account_id: request.accountId,
      client_id: request.clientId,
      hint_digest: request.hintDigest,
      service_name: request.serviceName,
      service_domain: request.serviceDomain,
      binding_message: request.bindingMessage,
      scopes: request.scopes,
      claims: request.claims,
      level: request.level,
      expires_at: request.expiresAt,
      poll_interval: request.pollInterval,
    })
    .execute();
}

/** How many requests this client has waiting for this login_hint (by its digest), anyone's or nobody's alike. */
export async function waitingFor(db: Kysely<Schema>, clientId: string, hintDigest: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom('ciba_requests')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('client_id', '=', clientId)
    .where('hint_digest', '=', hintDigest)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** The account's requests still waiting for an answer, newest first. */
export async function pendingCibaRequests(db: Kysely<Schema>, accountId: string, now: Date): Promise<PendingCibaRequest[]> {
  const rows = await db
    .selectFrom('ciba_requests')
    .select(['id', 'client_id', 'service_name', 'service_domain', 'binding_message', 'scopes', 'claims', 'level', 'created_at', 'expires_at'])
    .where('account_id', '=', accountId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .limit(50)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    clientId: row.client_id,
    serviceName: row.service_name,
    serviceDomain: row.service_domain,
    bindingMessage: row.binding_message,
    scopes: row.scopes,
    claims: row.claims,
    level: row.level,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  }));
}

export type CibaAnswer =
  | { ok: true; authReqId: string; clientId: string; level: 1 | 2 }
  | { ok: false; reason: 'unknown' | 'expired' | 'answered' };

/**
 * Records the citizen's answer, once: only a pending, unexpired request of this account changes, in one UPDATE,
 * so two devices answering at the same moment cannot both win. Another citizen's request is 'unknown'.
 */
export async function answerCibaRequest(
  db: Kysely<Schema>,
  answer: { id: string; accountId: string; deviceId: string; decision: 'approved' | 'denied'; now: Date },
): Promise<CibaAnswer> {
  const changed = await db
    .updateTable('ciba_requests')
    .set({ status: answer.decision, device_id: answer.deviceId, answered_at: answer.now })
    .where('id', '=', answer.id)
    .where('account_id', '=', answer.accountId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', answer.now)
    .returning(['auth_req_id', 'client_id', 'level'])
    .executeTakeFirst();
  if (changed) return { ok: true, authReqId: changed.auth_req_id, clientId: changed.client_id, level: changed.level };
  const current = await db
    .selectFrom('ciba_requests')
    .select(['status'])
    .where('id', '=', answer.id)
    .where('account_id', '=', answer.accountId)
    .executeTakeFirst();
  if (!current) return { ok: false, reason: 'unknown' };
  return { ok: false, reason: current.status === 'pending' ? 'expired' : 'answered' };
}

/**
 * A polling client's token request for a still-pending request: remembers when it came and says whether it came
 * sooner than the interval allows (then the interval grows by 5 s, RFC 8628 §3.5, which CIBA Core §11 follows).
 * Half a second of leeway absorbs network jitter. undefined: no such request here.
 */
export async function notePoll(db: Kysely<Schema>, authReqId: string, now: Date): Promise<{ tooSoon: boolean; interval: number } | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('ciba_requests')
      .select(['last_polled_at', 'poll_interval'])
      .where('auth_req_id', '=', authReqId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return undefined;
    const elapsed = row.last_polled_at ? now.getTime() - row.last_polled_at.getTime() : Number.POSITIVE_INFINITY;
    const tooSoon = elapsed < row.poll_interval * 1000 - 500;
    const interval = tooSoon ? Math.min(row.poll_interval + 5, 3600) : row.poll_interval;
    await trx.updateTable('ciba_requests').set({ last_polled_at: now, poll_interval: interval }).where('auth_req_id', '=', authReqId).execute();
    return { tooSoon, interval };
  });
}

/** Requests a day past their expiry are of no use to anyone (the provider's own artifact is gone by then). */
export async function purgeCibaRequests(db: Kysely<Schema>, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('ciba_requests')
    .where('expires_at', '<', sql<Date>`${now}::timestamptz - interval '1 day'`)
    .executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}
