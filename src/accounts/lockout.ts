// Lockout against guessing: N failed sign-ins for one ID number within a window lock it for a period.
// Counted per number typed, account or not, so the "locked" answer never reveals who has an account.
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

export interface LockoutPolicy {
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
}

export type Attempt = { locked: Date } | { attempt: number };

export interface Lockout {
  /** When the number's lock ends, if it is locked now. */
  lockedUntil(personalId: string): Promise<Date | null>;
  /**
   * Counts an attempt before its password is checked, atomically, so that however many arrive at once at most
   * maxFailures are checked per window; the rest are answered as locked. A success clears the count.
   */
  beginAttempt(personalId: string): Promise<Attempt>;
  /** The attempt failed; returns the lock's end if this failure locked the number. */
  recordFailure(personalId: string, attempt: number): Promise<Date | null>;
  clear(personalId: string): Promise<void>;
}

export function lockoutQueries(db: Kysely<Schema>, policy: LockoutPolicy, now: () => Date): Lockout {
  async function lock(personalId: string, at: Date): Promise<Date> {
    const until = new Date(at.getTime() + policy.lockSeconds * 1000);
    // Dating the window back by its length makes the first attempt after the lock open a fresh window,
    // so it takes N new failures to lock again (the lock itself already answered the old ones).
    await db
      .updateTable('sign_in_failures')
      .set({ locked_until: until, window_started_at: new Date(until.getTime() - policy.windowSeconds * 1000) })
      .where('personal_id', '=', personalId)
      .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', at)]))
      .execute();
    return (await lockedUntilAt(personalId, at)) ?? until;
  }

  async function lockedUntilAt(personalId: string, at: Date): Promise<Date | null> {
    const row = await db.selectFrom('sign_in_failures').select('locked_until').where('personal_id', '=', personalId).where('locked_until', '>', at).executeTakeFirst();
    return row?.locked_until ?? null;
  }

  return {
    lockedUntil: (personalId) => lockedUntilAt(personalId, now()),

    async beginAttempt(personalId) {
      const at = now();
      const windowStart = new Date(at.getTime() - policy.windowSeconds * 1000);
      // One statement: counted only while not locked; a lock in force leaves the row untouched (no row returned).
      const row = await db
        .insertInto('sign_in_failures')
        .values({ personal_id: personalId, failures: 1, window_started_at: at, locked_until: null })
        .onConflict((oc) =>
          oc
            .column('personal_id')
            .doUpdateSet({
              failures: sql`CASE WHEN sign_in_failures.window_started_at <= ${windowStart} THEN 1 ELSE sign_in_failures.failures + 1 END`,
              window_started_at: sql`CASE WHEN sign_in_failures.window_started_at <= ${windowStart} THEN ${at}::timestamptz ELSE sign_in_failures.window_started_at END`,
            })
            .where((w) => w.or([w('sign_in_failures.locked_until', 'is', null), w('sign_in_failures.locked_until', '<=', at)])),
        )
        .returning('failures')
        .executeTakeFirst();
      if (!row) return { locked: (await lockedUntilAt(personalId, at)) ?? at };
      // More attempts in flight than the policy allows: the extra ones are refused unchecked, and lock.
      if (row.failures > policy.maxFailures) return { locked: await lock(personalId, at) };
      return { attempt: row.failures };
    },

    async recordFailure(personalId, attempt) {
      return attempt >= policy.maxFailures ? lock(personalId, now()) : null;
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
