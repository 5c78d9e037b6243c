// The embedded database has no autovacuum (PGlite runs PostgreSQL single-user), so the purge pass vacuums what it
// purged. Without that, every sign-in's rows stayed on disk after their purge: the data directory grew with each
// round of churn and the planner never got statistics.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Transaction } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import type { Schema } from '../../src/db/schema.ts';
import { vacuumWhereDue } from '../../src/db/upkeep.ts';
import { startBackgroundJobs } from '../../src/jobs.ts';

const ROUND = 10_000;
let dataDir: string;
let database: Database;

beforeAll(async () => {
  // The embedded default: a data directory on disk, whatever engine the rest of the suite runs on.
  dataDir = mkdtempSync(join(tmpdir(), 'dinhdanh-upkeep-'));
  database = await openDatabase({ engine: 'pglite', dataDir });
  await migrate(database);
});
afterAll(async () => {
  await database?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A round of sign-ins' worth of provider rows, already expired, as the purge finds them. */
async function storeExpiredRows(round: number) {
  await sql`
    INSERT INTO oidc_payloads (model, id, payload, grant_id, expires_at)
    SELECT 'Session', 'round-' || ${round} || '-' || n,
           jsonb_build_object('accountId', 'account-' || n, 'exp', 1, 'claims', repeat('x', 400)),
           'Grant-' || n, now() - interval '1 minute'
      FROM generate_series(1, ${ROUND}) AS n`.execute(database.db);
}

async function providerTable() {
  // The statistics views get this session's counts at most once a second, unless asked.
  await sql`SELECT pg_stat_force_next_flush()`.execute(database.db);
  const { rows } = await sql<{ bytes: string; live: string; dead: string; estimate: number }>`
    SELECT pg_total_relation_size('oidc_payloads') AS bytes, (SELECT count(*) FROM oidc_payloads) AS live,
           s.n_dead_tup AS dead, c.reltuples AS estimate
      FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
     WHERE s.relname = 'oidc_payloads'`.execute(database.db);
  const row = rows[0]!;
  return { bytes: Number(row.bytes), live: Number(row.live), dead: Number(row.dead), estimate: row.estimate };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let tries = 0; ; tries++) {
    const value = await read();
    if (done(value)) return value;
    if (tries > 300) throw new Error(`gave up waiting: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the embedded database under churn', () => {
  it('stays the same size round after round: the purge pass vacuums what it purged, and the planner gets statistics', async () => {
    const config = { ...loadConfig({}), purgeIntervalSeconds: 0.2 };
    const stop = startBackgroundJobs(database, config, pino({ level: 'silent' }), () => new Date());
    try {
      const sizes: number[] = [];
      for (let round = 1; round <= 10; round++) {
        await storeExpiredRows(round);
        // Purged, and no dead rows left: the vacuum after the purge has run.
        sizes.push((await until(providerTable, (t) => t.live === 0 && t.dead === 0)).bytes);
      }
      // The indexes settle after the first round (3.8 MB here, beside 1.9 MB after it); unvacuumed, every round
      // added its rows to the files for good.
      expect(sizes[9]!).toBeLessThanOrEqual(sizes[1]! * 1.1);
      // ANALYZE ran: the planner's estimate is a row count (-1 before any).
      expect((await providerTable()).estimate).toBeGreaterThanOrEqual(0);
    } finally {
      await stop();
    }
  });

  it('leaves alone the tables that need nothing, and waits for a transaction in progress (VACUUM cannot run inside one)', async () => {
    await vacuumWhereDue(database);
    expect(await vacuumWhereDue(database)).toEqual([]);

    // A request's transaction is open, with rows written, when the pass comes.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const inside = new Promise<void>((resolve) => (started = resolve));
    const request = database.db.transaction().execute(async (trx) => {
      await storeExpiredRowsIn(trx);
      started();
      await held;
    });
    await inside;
    const pass = vacuumWhereDue(database);
    let passDone = false;
    void pass.then(() => (passDone = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(passDone).toBe(false);
    release();
    await request;
    expect(await pass).toContain('public.oidc_payloads');
    expect((await providerTable()).live).toBe(ROUND);
  });
});

async function storeExpiredRowsIn(trx: Transaction<Schema>) {
  await sql`
    INSERT INTO oidc_payloads (model, id, payload, expires_at)
    SELECT 'Session', 'held-' || n, '{}'::jsonb, now() - interval '1 minute' FROM generate_series(1, ${ROUND}) AS n`.execute(trx);
}
