// The app_devices table: devices bound to accounts, the lookup every signed app request makes, and the citizen's
// own list (rename, remove). A removed device keeps its row (history, the key stays unusable) with removed_at set.
import type { JWK } from 'jose';
import type { Kysely, Transaction } from 'kysely';
import type { AccountLevel, AccountStatus, LockReason, Schema } from '../db/schema.ts';

export interface Device {
  id: string;
  accountId: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** What checking a proof needs: the key, and the state of the device and its account right now. */
export interface DeviceForProof extends Device {
  publicJwk: JWK;
  removedAt: Date | null;
  accountStatus: AccountStatus;
  accountLevel: AccountLevel;
  lockReason: LockReason | null;
}

export const DEVICE_NAME_MAX = 60;

/** A name as the citizen typed it: trimmed, inner whitespace collapsed; undefined when empty or too long. */
export function deviceName(input: string): string | undefined {
  const name = input.replace(/\s+/g, ' ').trim();
  return name.length >= 1 && name.length <= DEVICE_NAME_MAX ? name : undefined;
}

const columns = ['d.id', 'd.account_id as accountId', 'd.name', 'd.created_at as createdAt', 'd.last_used_at as lastUsedAt'] as const;

export async function insertDevice(
  db: Transaction<Schema>,
  device: { id: string; accountId: string; name: string; publicJwk: JWK; jkt: string; at: Date },
): Promise<'inserted' | 'key_in_use'> {
  const row = await db
    .insertInto('app_devices')
    .values({ id: device.id, account_id: device.accountId, name: device.name, public_jwk: JSON.stringify(device.publicJwk), jkt: device.jkt, created_at: device.at })
    .onConflict((oc) => oc.column('jkt').doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? 'inserted' : 'key_in_use';
}

export async function deviceForProof(db: Kysely<Schema>, id: string): Promise<DeviceForProof | undefined> {
  const row = await db
    .selectFrom('app_devices as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .select([...columns, 'd.public_jwk as publicJwk', 'd.removed_at as removedAt', 'a.status as accountStatus', 'a.level as accountLevel', 'a.lock_reason as lockReason'])
    .where('d.id', '=', id)
    .executeTakeFirst();
  return row ? { ...row, publicJwk: row.publicJwk as JWK } : undefined;
}

/** Marks the device used; at most one write a minute per device, so that a busy app does not write on every call. */
export async function touchDevice(db: Kysely<Schema>, id: string, at: Date): Promise<void> {
  await db
    .updateTable('app_devices')
    .set({ last_used_at: at })
    .where('id', '=', id)
    .where((w) => w.or([w('last_used_at', 'is', null), w('last_used_at', '<', new Date(at.getTime() - 60_000))]))
    .execute();
}

/** The account's devices still bound, newest first. */
export async function devicesOf(db: Kysely<Schema>, accountId: string): Promise<Device[]> {
  return db.selectFrom('app_devices as d').select([...columns]).where('d.account_id', '=', accountId).where('d.removed_at', 'is', null).orderBy('d.created_at', 'desc').execute();
}

/** Renames one of the account's own devices; false when it is not theirs or removed. */
export async function renameDevice(db: Kysely<Schema>, accountId: string, id: string, name: string): Promise<boolean> {
  const row = await db.updateTable('app_devices').set({ name }).where('id', '=', id).where('account_id', '=', accountId).where('removed_at', 'is', null).returning('id').executeTakeFirst();
  return row !== undefined;
}

/** Unbinds every device of the account (its phone changed: the old handset may be in other hands); how many. */
export async function unbindDevices(db: Kysely<Schema> | Transaction<Schema>, accountId: string, at: Date): Promise<number> {
  const rows = await db.updateTable('app_devices').set({ removed_at: at }).where('account_id', '=', accountId).where('removed_at', 'is', null).returning('id').execute();
  return rows.length;
}

/** Unbinds one of the account's own devices: from this statement on, its proofs are refused. */
export async function removeDevice(db: Kysely<Schema>, accountId: string, id: string, at: Date): Promise<boolean> {
  const row = await db.updateTable('app_devices').set({ removed_at: at }).where('id', '=', id).where('account_id', '=', accountId).where('removed_at', 'is', null).returning('id').executeTakeFirst();
  return row !== undefined;
}
