// A fresh database per test file: in-memory PGlite by default, a new PostgreSQL database when TEST_DATABASE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely, type Transaction } from 'kysely';
import { createScratchDatabase } from '../../src/db/scratch.ts';
import type { Schema } from '../../src/db/schema.ts';
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

/**
 * PostgreSQL only: `meanwhile` lands after `act` has read a provider row and before `act` writes it. A transaction
 * holds the row locked while `act` starts; once a statement waits on the lock (`act`'s write), `meanwhile` runs in
 * that transaction, which then commits and lets the write go on. Returns what `act` and `meanwhile` returned.
 */
export async function betweenReadAndWrite<A, M>(
  db: Kysely<Schema>,
  row: { model: string; id: string } | { account: string },
  act: () => Promise<A>,
  meanwhile: (trx: Transaction<Schema>) => Promise<M>,
): Promise<{ acted: A; meant: M }> {
  let holding!: () => void;
  const held = new Promise<void>((resolve) => (holding = resolve));
  let go!: () => void;
  const waited = new Promise<void>((resolve) => (go = resolve));
  const holder = db.transaction().execute(async (trx) => {
    if ('account' in row) await sql`select 1 from accounts where id = ${row.account} for update`.execute(trx);
    else await sql`select 1 from oidc_payloads where model = ${row.model} and id = ${row.id} for update`.execute(trx);
    holding();
    await waited;
    return meanwhile(trx);
  });
  await held;
  const acting = act();
  try {
    await untilAStatementWaitsOnALock(db);
  } finally {
    go();
  }
  const meant = await holder;
  return { acted: await acting, meant };
}

/** Until a statement waits for a row another transaction holds (not an advisory lock: the leader's is one). */
async function untilAStatementWaitsOnALock(db: Kysely<Schema>): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    const { rows } = await sql<{ waiting: number }>`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event in ('transactionid', 'tuple')`.execute(db);
    if (rows[0]!.waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no statement waited on the held row within 10 s');
}
