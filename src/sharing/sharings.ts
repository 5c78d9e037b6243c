// The sharings table: what was issued to which device, and the single use of each credential at a counter.
// A sharing is also a row in the disclosure log (oidc/disclosures.ts), so it sits in the citizen's history.
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { ACR } from '../oidc/claims.ts';

/** The disclosure log's recipient for a sharing: whichever counter scans the code. */
export const COUNTER_RECIPIENT = 'counter';

export interface NewSharing {
  id: string;
  accountId: string;
  deviceId: string;
  claims: string[];
  createdAt: Date;
  expiresAt: Date;
}

export async function recordSharing(db: Kysely<Schema>, sharing: NewSharing): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('sharings')
      .values({ id: sharing.id, account_id: sharing.accountId, device_id: sharing.deviceId, claims: sharing.claims, created_at: sharing.createdAt, expires_at: sharing.expiresAt })
      .execute();
    await trx
      .insertInto('disclosures')
      .values({ account_id: sharing.accountId, client_id: COUNTER_RECIPIENT, channel: 'sharing', claims: sharing.claims, acr: ACR.level2, at: sharing.createdAt })
      .execute();
  });
}

/**
 * The one use of a credential: marks it presented (with what was shown) in one atomic statement, only while
 * the account is active at level 2 and the device still bound ("stops everything at once"). A second
 * presentation, from here or any other instance, finds it taken.
 */
export async function takeSharing(db: Kysely<Schema>, id: string, shown: string[], now: Date): Promise<'taken' | 'replayed' | 'revoked'> {
  const taken = await db
    .updateTable('sharings')
    .set({ presented_at: now, presented_claims: shown })
    .where('id', '=', id)
    .where('presented_at', 'is', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('accounts')
          .select('accounts.id')
          .whereRef('accounts.id', '=', 'sharings.account_id')
          .where('accounts.level', '=', 2)
          // As opensToDevices (accounts.ts) judges it: a lock from failed password attempts guards the password only.
          .where((a) => a.or([a('accounts.status', '=', 'active'), a.and([a('accounts.status', '=', 'locked'), a('accounts.lock_reason', '=', 'failed_sign_ins')])])),
      ),
    )
    .where((eb) => eb.exists(eb.selectFrom('app_devices').select('app_devices.id').whereRef('app_devices.id', '=', 'sharings.device_id').where('app_devices.removed_at', 'is', null)))
    .returning('id')
    .executeTakeFirst();
  if (taken) return 'taken';
  const row = await db.selectFrom('sharings').select('presented_at').where('id', '=', id).executeTakeFirst();
  // Gone (the account was deleted), its account no longer active or its device removed: withdrawn.
  return row?.presented_at ? 'replayed' : 'revoked';
}

export interface SharingEntry {
  id: string;
  claims: string[];
  createdAt: Date;
  expiresAt: Date;
  presentedAt: Date | null;
  presentedClaims: string[] | null;
}

/** The citizen's latest sharings, newest first, for /account. */
export async function sharingsOf(db: Kysely<Schema>, accountId: string, limit = 20): Promise<SharingEntry[]> {
  const rows = await db
    .selectFrom('sharings')
    .select(['id', 'claims', 'created_at', 'expires_at', 'presented_at', 'presented_claims'])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, claims: r.claims, createdAt: r.created_at, expiresAt: r.expires_at, presentedAt: r.presented_at, presentedClaims: r.presented_claims }));
}

/** A sharing of this device's, still to be shown: the app asks for its QR code. Another device's is not found. */
export async function sharingOfDevice(db: Kysely<Schema>, id: string, deviceId: string): Promise<{ expiresAt: Date; presentedAt: Date | null } | undefined> {
  const row = await db.selectFrom('sharings').select(['expires_at', 'presented_at']).where('id', '=', id).where('device_id', '=', deviceId).executeTakeFirst();
  return row ? { expiresAt: row.expires_at, presentedAt: row.presented_at } : undefined;
}
