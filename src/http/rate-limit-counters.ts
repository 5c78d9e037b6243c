// Rate-limit hits counted in the database, so every instance on it shares one count per route and address.
import { sql, type Kysely } from 'kysely';
import { prepare } from '../db/prepared.ts';
import type { Schema } from '../db/schema.ts';
import type { HitCounter } from './rate-limit-store.ts';

export function databaseHitCounter(db: Kysely<Schema>, now: () => Date): HitCounter {
  // One statement: concurrent hits on any instance each get their own count; an ended window restarts at 1.
  // Built once (src/db/prepared.ts): every sign-in POST runs it.
  const count = prepare(db, ['key', 'at', 'windowEndsAt'], (slot) => db
    .insertInto('rate_limit_counters')
    .values({ key: slot.key, hits: 1, window_ends_at: slot.windowEndsAt as unknown as Date })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        hits: sql`CASE WHEN rate_limit_counters.window_ends_at <= ${slot.at} THEN 1 ELSE rate_limit_counters.hits + 1 END`,
        window_ends_at: sql`CASE WHEN rate_limit_counters.window_ends_at <= ${slot.at} THEN excluded.window_ends_at ELSE rate_limit_counters.window_ends_at END`,
      }),
    )
    .returning(['hits', 'window_ends_at']));
  return {
    async hit(key, windowMs) {
      const at = now();
      const [row] = await count({ key, at, windowEndsAt: new Date(at.getTime() + windowMs) });
      if (!row) throw new Error('the rate-limit count returned no row');
      return { count: row.hits, msLeft: Math.max(0, new Date(row.window_ends_at).getTime() - at.getTime()) };
    },
  };
}

export async function purgeRateLimitCounters(db: Kysely<Schema>, at: Date): Promise<void> {
  await db.deleteFrom('rate_limit_counters').where('window_ends_at', '<=', at).execute();
}
