// The one-time QR sign-in requests (table qr_sign_in_requests, migrations/0015): shown by a sign-in page,
// claimed by one e-ID app device, decided by its citizen, used once by the browser that showed the code.
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { prepare } from '../../db/prepared.ts';
import type { QrSignInRequestTable, Schema } from '../../db/schema.ts';

/** How long a QR code can be scanned and decided on. */
export const QR_SECONDS = 120;
/** An approval given just before expiry is still taken up by the browser's next look (its poll or refresh). */
const USE_GRACE_SECONDS = 60;

export type UserVerification = 'pin' | 'biometric';
export type QrStatus = 'pending' | 'scanned' | 'approved' | 'denied' | 'expired' | 'used';
/** Why the app's scan or decision was refused. `unknown` also covers another device's request: nothing is revealed. */
export type QrProblem = 'unknown' | 'expired' | 'taken' | 'decided';

/** What the app shows before the citizen decides (stored when the code is made, from the authorization request). */
export interface QrShown {
  service: { client_id: string; name: string; domain: string; organisation: { name: string; domain: string | null } | null };
  level: { requested: string | null; result: string };
  /** The claims asked for (catalogue names), and offline_access when the service asks to stay connected. */
  data: string[];
}

export interface QrRequest {
  id: string;
  interactionUid: string;
  clientId: string;
  shown: QrShown;
  expiresAt: Date;
  deviceId: string | null;
  accountId: string | null;
  decision: 'approved' | 'denied' | null;
  userVerification: UserVerification | null;
  usedAt: Date | null;
}

const toRequest = (row: Selectable<QrSignInRequestTable>): QrRequest => ({
  id: row.id,
  interactionUid: row.interaction_uid,
  clientId: row.client_id,
  // jsonb comes back parsed on both engines.
  shown: row.shown as unknown as QrShown,
  expiresAt: new Date(row.expires_at),
  deviceId: row.device_id,
  accountId: row.account_id,
  decision: row.decision,
  userVerification: row.user_verification,
  usedAt: row.used_at ? new Date(row.used_at) : null,
});

const usableUntil = (request: Pick<QrRequest, 'expiresAt'>) => request.expiresAt.getTime() + USE_GRACE_SECONDS * 1000;

/** Where a request stands, as the browser that showed it sees it. */
export function qrStatus(request: QrRequest, now: Date): QrStatus {
  if (request.usedAt) return 'used';
  if (request.decision === 'denied') return 'denied';
  if (request.decision === 'approved') return now.getTime() < usableUntil(request) ? 'approved' : 'expired';
  if (now >= request.expiresAt) return 'expired';
  return request.deviceId ? 'scanned' : 'pending';
}

export function qrSignInRequests(db: Kysely<Schema>, now: () => Date) {
  const find = async (id: string) => {
    const row = await db.selectFrom('qr_sign_in_requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRequest(row) : undefined;
  };

  // Built once (src/db/prepared.ts): every sign-in page shows a code.
  const insert = prepare(db, ['id', 'interactionUid', 'clientId', 'shown', 'createdAt', 'expiresAt'], (slot) => db
    .insertInto('qr_sign_in_requests')
    .values({
      id: slot.id,
      interaction_uid: slot.interactionUid,
      client_id: slot.clientId,
      shown: slot.shown,
      created_at: slot.createdAt as unknown as Date,
      expires_at: slot.expiresAt as unknown as Date,
    })
    .returningAll());

  return {
    find,

    async create(input: { interactionUid: string; clientId: string; shown: QrShown }): Promise<QrRequest> {
      const at = now();
      const [row] = await insert({
        id: randomBytes(16).toString('base64url'),
        interactionUid: input.interactionUid,
        clientId: input.clientId,
        shown: JSON.stringify(input.shown),
        createdAt: at,
        expiresAt: new Date(at.getTime() + QR_SECONDS * 1000),
      });
      if (!row) throw new Error('the QR sign-in request was not stored');
      return toRequest(row);
    },

    /** The newest code this sign-in showed: the one its browser waits on. */
    async latestFor(interactionUid: string): Promise<QrRequest | undefined> {
      const row = await db
        .selectFrom('qr_sign_in_requests')
        .selectAll()
        .where('interaction_uid', '=', interactionUid)
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toRequest(row) : undefined;
    },

    /**
     * The app scanned the code: the first device takes it, in one statement, so two devices scanning at once
     * cannot both. The same device scanning again sees it again until it decides.
     */
    async claim(id: string, device: { id: string; accountId: string }): Promise<{ ok: true; request: QrRequest } | { ok: false; problem: QrProblem }> {
      const at = now();
      const row = await db
        .updateTable('qr_sign_in_requests')
        .set({ device_id: device.id, account_id: device.accountId, scanned_at: at })
        .where('id', '=', id)
        .where('device_id', 'is', null)
        .where('expires_at', '>', at)
        .returningAll()
        .executeTakeFirst();
      if (row) return { ok: true, request: toRequest(row) };
      const existing = await find(id);
      if (!existing) return { ok: false, problem: 'unknown' };
      if (existing.deviceId && existing.deviceId !== device.id) return { ok: false, problem: 'taken' };
      if (existing.decision) return { ok: false, problem: 'decided' };
      if (at >= existing.expiresAt) return { ok: false, problem: 'expired' };
      return { ok: true, request: existing };
    },

    /** The citizen approved or denied on the device that scanned the code; once, and before it expires. */
    async decide(
      id: string,
      deviceId: string,
      decision: { approve: true; userVerification: UserVerification } | { approve: false },
    ): Promise<{ ok: true; request: QrRequest } | { ok: false; problem: QrProblem }> {
      const at = now();
      const row = await db
        .updateTable('qr_sign_in_requests')
        .set({
          decision: decision.approve ? 'approved' : 'denied',
          user_verification: decision.approve ? decision.userVerification : null,
          decided_at: at,
        })
        .where('id', '=', id)
        .where('device_id', '=', deviceId)
        .where('decision', 'is', null)
        .where('expires_at', '>', at)
        .returningAll()
        .executeTakeFirst();
      if (row) return { ok: true, request: toRequest(row) };
      const existing = await find(id);
      // Another device's request (or another citizen's) is answered like one that does not exist.
      if (!existing || existing.deviceId !== deviceId) return { ok: false, problem: 'unknown' };
      if (existing.decision) return { ok: false, problem: 'decided' };
      return { ok: false, problem: 'expired' };
    },

    /**
     * For the sandbox's app simulator: codes sandbox clients' sign-in pages show now (nobody scanned them yet),
     * and those this device scanned and has not decided.
     */
    async openForSandbox(deviceId: string): Promise<{ unscanned: QrRequest[]; awaiting: QrRequest[] }> {
      const at = now();
      const unscanned = await db
        .selectFrom('qr_sign_in_requests as q')
        .innerJoin('relying_parties as r', 'r.client_id', 'q.client_id')
        .selectAll('q')
        .where('r.profile', '=', 'sandbox')
        .where('q.device_id', 'is', null)
        .where('q.expires_at', '>', at)
        .orderBy('q.created_at', 'desc')
        .limit(10)
        .execute();
      const awaiting = await db
        .selectFrom('qr_sign_in_requests')
        .selectAll()
        .where('device_id', '=', deviceId)
        .where('decision', 'is', null)
        .where('expires_at', '>', at)
        .orderBy('created_at', 'desc')
        .limit(10)
        .execute();
      return { unscanned: unscanned.map(toRequest), awaiting: awaiting.map(toRequest) };
    },

    /** The browser takes up the decision: exactly once, whatever races (two tabs, a reload, another instance). */
    async use(id: string): Promise<QrRequest | undefined> {
      const at = now();
      const row = await db
        .updateTable('qr_sign_in_requests')
        .set({ used_at: at })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where((eb) =>
          eb.or([
            eb('decision', '=', 'denied'),
            eb.and([eb('decision', '=', 'approved'), eb('expires_at', '>', new Date(at.getTime() - USE_GRACE_SECONDS * 1000))]),
          ]),
        )
        .returningAll()
        .executeTakeFirst();
      return row ? toRequest(row) : undefined;
    },
  };
}

export type QrSignInRequests = ReturnType<typeof qrSignInRequests>;

/** Requests a day past their expiry are of no use to anyone (background purge, src/jobs.ts). */
export async function purgeQrSignInRequests(db: Kysely<Schema>, now: Date): Promise<void> {
  await db.deleteFrom('qr_sign_in_requests').where('expires_at', '<', new Date(now.getTime() - 24 * 3600 * 1000)).execute();
}
