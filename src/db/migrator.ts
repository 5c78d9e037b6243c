// Applies migrations/NNNN_name.sql in order, each once, in its own transaction. Forward only; a second run does nothing.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';
import { ADVISORY_LOCKS } from './locks.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));
const MIGRATION_LOCK = ADVISORY_LOCKS.migration;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  return database.session(async (session) => {
    // Each step is one transaction under a transaction-scoped lock, never a session lock: behind PgBouncer in
    // transaction mode the statements between transactions may reach other server connections, so a session
    // lock could be taken on one, "released" on another, and left held forever.
    const locked = async <T>(work: () => Promise<T>): Promise<T> => {
      await session.exec('BEGIN');
      try {
        await session.exec(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
        const result = await work();
        await session.exec('COMMIT');
        return result;
      } catch (error) {
        await session.exec('ROLLBACK').catch(() => {});
        throw error;
      }
    };
    const done = await locked(async () => {
      await session.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      return new Set((await session.rows<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    });
    const applied: string[] = [];
    for (const file of files) {
      const version = file.replace(/\.sql$/, '');
      if (done.has(version)) continue;
      const text = await readFile(`${dir}/${file}`, 'utf8');
      // version matches ^\d{4}_[\w-]+$, so it is safe inside a literal.
      const ran = await locked(async () => {
        // Another instance may have applied it while this one waited for the lock.
        if ((await session.rows(`SELECT 1 FROM schema_migrations WHERE version = '${version}'`)).length) return false;
        await session.exec(`${text}\n;INSERT INTO schema_migrations (version) VALUES ('${version}');`).catch((error: unknown) => {
          throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
        });
        return true;
      });
      if (ran) applied.push(version);
    }
    return { applied, alreadyApplied: files.length - applied.length };
  });
}
