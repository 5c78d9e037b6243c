// Lockout against guessing: N failed sign-ins for one login name within a window lock it for a period.
// Counted per name typed, account or not, so the "locked" answer never reveals who has an account.
// Citizens are counted by personal ID number (sign_in_failures), officers by username (officer_sign_in_failures).
import { sql, type Kysely, type QueryCreator, type SelectQueryBuilder } from 'kysely';
import { prepare } from '../db/prepared.ts';
import type { Schema } from '../db/schema.ts';

/** Where one kind of login is counted: a table shaped like sign_in_failures, and the name of its key column. */
export interface FailureStore {
  table: 'sign_in_failures' | 'officer_sign_in_failures';
  key: 'personal_id' | 'username';
}

export const CITIZEN_FAILURES: FailureStore = { table: 'sign_in_failures', key: 'personal_id' };

// The tables differ only in the key column's name, so the queries are written once over this looser shape.
type CounterRow = { failures: number; window_started_at: Date; locked_until: Date | null; [key: string]: unknown };

export interface LockoutPolicy {
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
}

export type Attempt = { locked: Date } | { attempt: number };

export interface Lockout {
  /** When the login's lock ends, if it is locked now. */
  lockedUntil(login: string): Promise<Date | null>;
  /**
   * Counts an attempt before its password is checked, atomically, so that however many arrive at once at most
   * maxFailures are checked per window; the rest are answered as locked. A success clears the count.
   */
  beginAttempt(login: string): Promise<Attempt>;
  /**
   * beginAttempt, and in the same statement (one round trip) a read of what the login names, such as its account.
   * The read is joined to the count's row, so a lock in force (no row) leaves it unrun; `found` is `undefined`
   * then, and when it found nothing. `read` builds the query for a login; the statement is built once per `read`.
   */
  beginAttemptReading<Found extends object>(login: string, read: (login: string) => SelectQueryBuilder<any, any, Found>): Promise<{ attempt: Attempt; found: Found | undefined }>;
  /** The attempt failed; returns the lock's end if this failure locked the login. */
  recordFailure(login: string, attempt: number): Promise<Date | null>;
  clear(login: string): Promise<void>;
}

export function lockoutQueries(schemaDb: Kysely<Schema>, policy: LockoutPolicy, now: () => Date, store: FailureStore = CITIZEN_FAILURES): Lockout {
  const db = schemaDb as unknown as Kysely<Record<string, CounterRow>>;
  const { table, key } = store;
  async function lock(login: string, at: Date): Promise<Date> {
    const until = new Date(at.getTime() + policy.lockSeconds * 1000);
    // Dating the window back by its length makes the first attempt after the lock open a fresh window,
    // so it takes N new failures to lock again (the lock itself already answered the old ones).
    await db
      .updateTable(table)
      .set({ locked_until: until, window_started_at: new Date(until.getTime() - policy.windowSeconds * 1000) })
      .where(key, '=', login)
      .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', at)]))
      .execute();
    return (await lockedUntilAt(login, at)) ?? until;
  }

  async function lockedUntilAt(login: string, at: Date): Promise<Date | null> {
    const row = await db.selectFrom(table).select('locked_until').where(key, '=', login).where('locked_until', '>', at).executeTakeFirst();
    return row?.locked_until ?? null;
  }

  /**
   * Counts an attempt in one statement, only while not locked: a lock in force leaves the row untouched (no row
   * returned). Built once with stand-ins for its values (src/db/prepared.ts): it runs on every sign-in.
   */
  function count(creator: QueryCreator<Record<string, CounterRow>>, slot: Record<'login' | 'at' | 'windowStart', string>) {
    const { login } = slot;
    const at = slot.at as unknown as Date;
    const windowStart = slot.windowStart as unknown as Date;
    return creator
      .insertInto(table)
      .values({ [key]: login, failures: 1, window_started_at: at, locked_until: null })
      .onConflict((oc) =>
        oc
          .column(key)
          .doUpdateSet({
            failures: sql`CASE WHEN ${sql.ref(`${table}.window_started_at`)} <= ${windowStart} THEN 1 ELSE ${sql.ref(`${table}.failures`)} + 1 END`,
            window_started_at: sql`CASE WHEN ${sql.ref(`${table}.window_started_at`)} <= ${windowStart} THEN ${at}::timestamptz ELSE ${sql.ref(`${table}.window_started_at`)} END`,
          })
          .where((w) => w.or([w(`${table}.locked_until`, 'is', null), w(`${table}.locked_until`, '<=', at)])),
      )
      .returning('failures');
  }

  /** What the count said: locked, or this attempt's number in its window. */
  async function settle(login: string, at: Date, counted: { failures: number } | undefined): Promise<Attempt> {
    if (!counted) return { locked: (await lockedUntilAt(login, at)) ?? at };
    // More attempts in flight than the policy allows: the extra ones are refused unchecked, and lock.
    if (counted.failures > policy.maxFailures) return { locked: await lock(login, at) };
    return { attempt: counted.failures };
  }

  const slots = ['login', 'at', 'windowStart'] as const;
  const values = (login: string, at: Date) => ({ login, at, windowStart: new Date(at.getTime() - policy.windowSeconds * 1000) });
  const countAlone = prepare(db, slots, (slot) => count(db, slot));
  // The read is joined to the count's row: none when a lock in force left the row untouched.
  const countReading = (read: (login: string) => SelectQueryBuilder<any, any, object>) => prepare(db, slots, (slot) => db
    .with('attempt', (creator) => count(creator, slot))
    .selectFrom('attempt')
    .leftJoinLateral(read(slot.login).select(sql<boolean>`true`.as('found_by_read')).as('found'), (join) => join.onTrue())
    .selectAll('found')
    .select('attempt.failures as attempt_failures'));
  const countsReading = new WeakMap<object, ReturnType<typeof countReading>>();
  const clear = prepare(db, ['login'], (slot) => db.deleteFrom(table).where(key, '=', slot.login));

  return {
    lockedUntil: (login) => lockedUntilAt(login, now()),

    async beginAttempt(login) {
      const at = now();
      const [counted] = await countAlone(values(login, at));
      return settle(login, at, counted);
    },

    async beginAttemptReading<Found extends object>(login: string, read: (login: string) => SelectQueryBuilder<any, any, Found>) {
      const at = now();
      let query = countsReading.get(read);
      if (!query) countsReading.set(read, (query = countReading(read)));
      const [row] = (await query(values(login, at))) as Array<Record<string, unknown> & { attempt_failures: number; found_by_read: boolean | null }>;
      const attempt = await settle(login, at, row && { failures: row.attempt_failures });
      if (!row?.found_by_read) return { attempt, found: undefined };
      const { attempt_failures: _count, found_by_read: _found, ...found } = row;
      return { attempt, found: found as Found };
    },

    async recordFailure(login, attempt) {
      return attempt >= policy.maxFailures ? lock(login, now()) : null;
    },

    async clear(login) {
      await clear({ login });
    },
  };
}

/** Forgets failures whose window has passed and that hold no lock (background housekeeping). */
export async function purgeSignInFailures(db: Kysely<Schema>, policy: LockoutPolicy, now: Date, store: FailureStore = CITIZEN_FAILURES): Promise<void> {
  await (db as unknown as Kysely<Record<string, CounterRow>>)
    .deleteFrom(store.table)
    .where('window_started_at', '<=', new Date(now.getTime() - policy.windowSeconds * 1000))
    .where((w) => w.or([w('locked_until', 'is', null), w('locked_until', '<=', now)]))
    .execute();
}
