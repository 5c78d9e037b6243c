// Applies migrations/NNNN_name.sql in order, each once, in its own transaction. Forward only; a second run does nothing.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { openDatabase, type Database, type DatabaseLocation } from './database.ts';
import { ADVISORY_LOCKS } from './locks.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
const MIGRATION_LOCK = ADVISORY_LOCKS.migration;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  // Each step is one script, BEGIN to COMMIT, under a transaction-scoped lock — never a session lock: behind
  // PgBouncer in transaction mode, statements between transactions may reach other server connections, so a
  // session lock could be taken on one and left held forever. One script is also one call on PGlite, where
  // nothing else in the process can slip into the transaction.
  const LOCK = `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK});`;
  return database.session(async (session) => {
    const script = (body: string) =>
      session.exec(`BEGIN;\n${LOCK}\n${body}\n;COMMIT;`).catch(async (error: unknown) => {
        await session.exec('ROLLBACK').catch(() => {});
        throw error;
      });
    await script('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());');
    const done = new Set((await session.rows<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const applied: string[] = [];
    for (const file of files) {
      const version = file.replace(/\.sql$/, '');
      if (done.has(version)) continue;
      const text = await readFile(`${dir}/${file}`, 'utf8');
      try {
        // The version row first (version matches ^\d{4}_[\w-]+$, safe inside a literal): if another instance
        // applied this migration while this one waited for the lock, its key refuses the row and nothing runs.
        await script(`INSERT INTO schema_migrations (version) VALUES ('${version}');\n${text}`);
        applied.push(version);
      } catch (error) {
        if (appliedMeanwhile(error)) continue;
        throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    return { applied, alreadyApplied: files.length - applied.length };
  });
}

const appliedMeanwhile = (error: unknown) =>
  (error as { code?: string }).code === '23505' && String((error as Error).message).includes('schema_migrations_pkey');

/**
 * For the CLI's commands that work on a database no provider may have started yet (clients, keys): opens it,
 * brings its schema up to date, runs the work and closes it whatever happens.
 */
export async function withMigratedDatabase<T>(location: DatabaseLocation, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase(location);
  try {
    await migrate(database);
    return await work(database);
  } finally {
    await database.close();
  }
}
