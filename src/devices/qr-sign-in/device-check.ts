// TEMPORARY until the devices core lands: whether a device is still bound to the account.
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../../db/schema.ts';

export async function deviceUsable(db: Kysely<Schema>, deviceId: string, accountId: string): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`SELECT id FROM app_devices WHERE id = ${deviceId} AND account_id = ${accountId} AND removed_at IS NULL`.execute(db);
  return rows.length === 1;
}
