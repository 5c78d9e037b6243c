// Every change to a relying party is announced to all instances (LISTEN/NOTIFY), so their client caches
// (src/db/noticed-cache.ts) drop it: a suspension takes effect on the client's next request everywhere.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';

export const CLIENT_CHANGES = 'dinhdanh_client_changes';

/** Inside a transaction, the notice is sent when it commits (and never if it rolls back). */
export async function announceClientChange(db: Kysely<Schema> | Transaction<Schema>, clientId: string): Promise<void> {
  await sql`SELECT pg_notify(${CLIENT_CHANGES}, ${clientId})`.execute(db);
}
