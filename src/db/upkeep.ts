// What the provider needs PostgreSQL to do on its own. oidc_payloads is rewritten at every step of a sign-in and
// purged as rows expire: without autovacuum its dead rows pile up (481,931 beside 139,506 live after 60,000
// bench sign-ins on a server with autovacuum off) and no table ever gets the statistics the planner needs.
import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';

/** Warnings for the operator at start: empty when autovacuum runs for the server and every provider table. */
export async function upkeepWarnings(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ server: string; tables: string[] | null }>`
    SELECT current_setting('autovacuum') AS server,
           (SELECT array_agg(c.relname::text ORDER BY c.relname)
              FROM pg_class c
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
               AND EXISTS (SELECT 1 FROM unnest(c.reloptions) AS o WHERE lower(o) IN ('autovacuum_enabled=false', 'autovacuum_enabled=off', 'autovacuum_enabled=0', 'autovacuum_enabled=no'))) AS tables`.execute(db);
  const { server, tables } = rows[0]!;
  const warnings: string[] = [];
  if (server !== 'on') {
    warnings.push(
      'autovacuum is off on this PostgreSQL server: the provider\'s tables keep their dead rows and get no planner statistics (oidc_payloads is rewritten at every sign-in); set autovacuum = on in postgresql.conf and reload',
    );
  }
  if (tables?.length) warnings.push(`autovacuum is disabled for ${tables.join(', ')}: ALTER TABLE … RESET (autovacuum_enabled)`);
  return warnings;
}

// PGlite runs PostgreSQL single-user, where no autovacuum worker ever starts (last_autovacuum stays null): a data
// directory under churn grew 12 MB for every 20,000 rows written and purged, and the planner had no statistics.
// On the embedded engine the purge pass does that work, on autovacuum's default thresholds.
const DUE = `
  SELECT format('%I.%I', schemaname, relname) AS name
    FROM pg_stat_user_tables
   WHERE schemaname = current_schema()
     AND (n_dead_tup > 50 + 0.2 * n_live_tup OR n_mod_since_analyze > 50 + 0.1 * n_live_tup)
   ORDER BY relname`;

/** Vacuums and analyzes the embedded database's tables that autovacuum would have; returns their names. */
export async function vacuumWhereDue(database: Pick<Database, 'engine' | 'session'>): Promise<string[]> {
  if (database.engine !== 'pglite') return [];
  return database.session(async (session) => {
    // Counts reach the statistics views at most once a second; flush this session's before reading them.
    await session.rows('SELECT pg_stat_force_next_flush()');
    const due = await session.rows<{ name: string }>(DUE);
    // VACUUM cannot run inside a transaction: session() waits for any open one to end.
    for (const { name } of due) await session.exec(`VACUUM (ANALYZE) ${name}`);
    return due.map((table) => table.name);
  });
}
