// A fresh database per test file: in-memory PGlite by default, a new PostgreSQL database when TEST_DATABASE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../../src/db/scratch.ts';
import type { DatabaseLocation } from '../../src/db/database.ts';

export const ENGINE = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

export interface TestDatabase {
  location: DatabaseLocation;
  drop(): Promise<void>;
}

/**
 * persistent: for PGlite, a file-backed directory (so a "restart" can reopen it); in-memory otherwise.
 * For PostgreSQL the database is always real and is dropped afterwards.
 */
export async function createTestDatabase(options: { persistent?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    if (!options.persistent) return { location: { engine: 'pglite' }, drop: async () => {} };
    const dir = mkdtempSync(join(tmpdir(), 'dinhdanh-test-'));
    return { location: { engine: 'pglite', dataDir: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const scratch = await createScratchDatabase(adminUrl, 'dinhdanh_test');
  return { location: { engine: 'postgres', url: scratch.url, poolSize: 5 }, drop: scratch.drop };
}
