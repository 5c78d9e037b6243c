// An account's daily allowance of SMS sign-in codes, shared by all its sign-ins and every instance: how many
// codes may be sent to its phone and how many wrong codes may be tried in 24 hours.
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

export type Allowance = 'codes_sent' | 'wrong_codes';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Takes one unit of the allowance in one statement (so parallel requests cannot overdraw it); false when the
 * day's allowance is spent. A window older than a day starts afresh.
 */
export async function takeAllowance(db: Kysely<Schema>, accountId: string, allowance: Allowance, max: number, at: Date): Promise<boolean> {
  const windowStart = new Date(at.getTime() - DAY_MS);
  const stale = sql<boolean>`sign_in_code_allowances.window_started_at <= ${windowStart}`;
  const counter = (name: Allowance) =>
    sql<number>`CASE WHEN ${stale} THEN excluded.${sql.ref(name)} ELSE sign_in_code_allowances.${sql.ref(name)} + excluded.${sql.ref(name)} END`;
  const taken = await db
    .insertInto('sign_in_code_allowances')
    .values({ account_id: accountId, window_started_at: at, codes_sent: allowance === 'codes_sent' ? 1 : 0, wrong_codes: allowance === 'wrong_codes' ? 1 : 0 })
    .onConflict((oc) =>
      oc
        .column('account_id')
        .doUpdateSet({
          window_started_at: sql`CASE WHEN ${stale} THEN ${at}::timestamptz ELSE sign_in_code_allowances.window_started_at END`,
          codes_sent: counter('codes_sent'),
          wrong_codes: counter('wrong_codes'),
        })
        .where((w) => w.or([stale, w(`sign_in_code_allowances.${allowance}`, '<', max)])),
    )
    .returning('account_id')
    .executeTakeFirst();
  return taken !== undefined;
}

/** Whether the day's allowance is spent, without taking any of it. */
export async function allowanceSpent(db: Kysely<Schema>, accountId: string, allowance: Allowance, max: number, at: Date): Promise<boolean> {
  const row = await db
    .selectFrom('sign_in_code_allowances')
    .select('account_id')
    .where('account_id', '=', accountId)
    .where('window_started_at', '>', new Date(at.getTime() - DAY_MS))
    .where(allowance, '>=', max)
    .executeTakeFirst();
  return row !== undefined;
}

/** Gives a unit back: the try that took it turned out not to be a guess (the right code, or no code to compare). */
export async function refundAllowance(db: Kysely<Schema>, accountId: string, allowance: Allowance): Promise<void> {
  await db
    .updateTable('sign_in_code_allowances')
    .set((eb) => ({ [allowance]: eb(allowance, '-', 1) }))
    .where('account_id', '=', accountId)
    .where(allowance, '>', 0)
    .execute();
}

export async function purgeAllowances(db: Kysely<Schema>, now: Date): Promise<void> {
  await db.deleteFrom('sign_in_code_allowances').where('window_started_at', '<=', new Date(now.getTime() - DAY_MS)).execute();
}
