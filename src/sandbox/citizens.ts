// Who belongs to the sandbox: the citizens marked in sandbox_seed (hand-made personas, the synthetic population).
// A 'sandbox'-profile client sees only them; the SMS inbox shows only their phones' messages.
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

export function sandboxCitizenCheck(db: Kysely<Schema>): (personalId: string) => Promise<boolean> {
  return async (personalId) =>
    (await db.selectFrom('sandbox_seed').select('key').where('kind', '=', 'citizen').where('key', '=', personalId).executeTakeFirst()) !== undefined;
}
