// What the provider needs PostgreSQL to do on its own. oidc_payloads is rewritten at every step of a sign-in and
// purged as rows expire: without autovacuum its dead rows pile up (481,931 beside 139,506 live after 60,000
// bench sign-ins on a server with autovacuum off) and no table ever gets the statistics the planner needs.
import { sql, type Kysely } from 'kysely';

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
