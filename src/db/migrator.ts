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
    await session.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    await session.exec(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      const done = new Set(
        (await session.rows<{ version: string }>('SELECT version FROM schema_migrations')).map((r) => r.version),
      );
      const applied: string[] = [];
      for (const file of files) {
        const version = file.replace(/\.sql$/, '');
        if (done.has(version)) continue;
        const text = await readFile(`${dir}/${file}`, 'utf8');
        // version matches ^\d{4}_[\w-]+$, so it is safe inside a literal.
        await session.exec(`BEGIN;\n${text}\n;INSERT INTO schema_migrations (version) VALUES ('${version}');\nCOMMIT;`).catch(
          async (error: unknown) => {
            await session.exec('ROLLBACK').catch(() => {});
            throw new Error(`migration ${file} failed: ${(error as Error).message}`, { cause: error });
          },
        );
        applied.push(version);
      }
      return { applied, alreadyApplied: files.length - applied.length };
    } finally {
      await session.exec(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  });
}
