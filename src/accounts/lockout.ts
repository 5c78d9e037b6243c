// Lockout against guessing: N failed sign-ins for one ID number within a window lock it for a period.
// Counted per number typed, account or not, so the "locked" answer never reveals who has an account.
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

export interface LockoutPolicy {
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
}

export interface Lockout {
  /** When the number's lock ends, if it is locked now. */
  lockedUntil(personalId: string): Promise<Date | null>;
  /** Counts a failure; returns the lock's end if this failure locked the number. */
  recordFailure(personalId: string): Promise<Date | null>;
  clear(personalId: string): Promise<void>;
}

export function lockoutQueries(db: Kysely<Schema>, policy: LockoutPolicy, now: () => Date): Lockout {
  return {
    async lockedUntil(personalId) {
      const row = await db
        .selectFrom('sign_in_failures')
        .select('locked_until')
        .where('personal_id', '=', personalId)
        .where('locked_until', '>', now())
        .executeTakeFirst();
      return row?.locked_until ?? null;
    },

    async recordFailure(personalId) {
      const at = now();
      const windowStart = new Date(at.getTime() - policy.windowSeconds * 1000);
      // One statement, so concurrent failures are all counted.
      const row = await db
        .insertInto('sign_in_failures')
        .values({ personal_id: personalId, failures: 1, window_started_at: at, locked_until: null })
        .onConflict((oc) =>
          oc.column('personal_id').doUpdateSet({
            failures: sql`CASE WHEN sign_in_failures.window_started_at <= ${windowStart} THEN 1 ELSE sign_in_failures.failures + 1 END`,
            window_started_at: sql`CASE WHEN sign_in_failures.window_started_at <= ${windowStart} THEN ${at}::timestamptz ELSE sign_in_failures.window_started_at END`,
          }),
        )
        .returning('failures')
        .executeTakeFirstOrThrow();
      if (row.failures < policy.maxFailures) return null;
      const until = new Date(at.getTime() + policy.lockSeconds * 1000);
      // Dating the window back by its length makes the first mistake after the lock open a fresh window,
      // so it takes N new failures to lock again (the lock itself already answered the old ones).
      await db
        .updateTable('sign_in_failures')
        .set({ locked_until: until, window_started_at: new Date(until.getTime() - policy.windowSeconds * 1000) })
        .where('personal_id', '=', personalId)
        .execute();
      return until;
    },

    async clear(personalId) {
      await db.deleteFrom('sign_in_failures').where('personal_id', '=', personalId).execute();
    },
  };
}

/** Forgets failures whose window has passed and that hold no lock (background housekeeping). */
export async function purgeSignInFailures(db: Kysely<Schema>, policy: LockoutPolicy, now: Date): Promise<void> {
  await db
    .deleteFrom('sign_in_failures')
    .where('window_started_at', '<=', new Date(now.getTime() - policy.windowSeconds * 1000))
    .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
    .execute();
}
