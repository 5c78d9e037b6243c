// PgBouncer in transaction mode between the provider and PostgreSQL: nothing the provider does on its pool may
// rely on a session (a session advisory lock, SET, a temporary table, LISTEN), since consecutive statements
// outside a transaction may reach different server connections. What needs a session (the population import)
// goes past the pooler through DIRECT_DATABASE_URL.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { databaseLocation, openDatabase, type Database } from '../../src/db/database.ts';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrator.ts';
import { reachEveryInstance } from '../../src/db/notifications.ts';
import { generateRecords } from '../../src/registry/generate.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.ts';
import { SANDBOX_SECRET, startProvider, type RunningProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const POOLED = 'postgres://app@pgbouncer:6432/dinhdanh';
const DIRECT = 'postgres://app@postgres:5432/dinhdanh';

describe('DIRECT_DATABASE_URL', () => {
  it('is where the import and the session-bound parts go (LISTEN, the job leader); queries use DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: POOLED, DIRECT_DATABASE_URL: DIRECT });
    // Behind the pooler, statements are not kept by name (PgBouncer before 1.21 cannot keep them); past it, they are.
    expect(databaseLocation(config)).toEqual({ engine: 'postgres', url: POOLED, sessionUrl: DIRECT, namedStatements: false, poolSize: 10 });
    expect(databaseLocation(config, { direct: true })).toEqual({ engine: 'postgres', url: DIRECT, sessionUrl: DIRECT, namedStatements: true, poolSize: 10 });
    // Unset, the import uses DATABASE_URL too (no pooler in between).
    expect(databaseLocation(loadConfig({ DATABASE_URL: DIRECT }), { direct: true })).toEqual({ engine: 'postgres', url: DIRECT, namedStatements: true, poolSize: 10 });
    // A pooler that keeps them (PgBouncer 1.21 and later, max_prepared_statements): asked for.
    expect(databaseLocation(loadConfig({ DATABASE_URL: POOLED, DIRECT_DATABASE_URL: DIRECT, DATABASE_NAMED_STATEMENTS: 'true' }))).toMatchObject({ namedStatements: true });
  });

  it('is refused without DATABASE_URL, naming the variable', () => {
    expect(() => loadConfig({ DIRECT_DATABASE_URL: DIRECT })).toThrow(ConfigError);
    expect(() => loadConfig({ DIRECT_DATABASE_URL: DIRECT })).toThrow(/DIRECT_DATABASE_URL: only means something beside DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: POOLED, DIRECT_DATABASE_URL: 'mysql://x' })).toThrow(/DIRECT_DATABASE_URL/);
  });
});

// PgBouncer sits in front of the PostgreSQL server of the PostgreSQL pass (.ci/run sets TEST_DATABASE_URL and
// installs Debian's pgbouncer); without that server this describe does not exist — not skipped.
if (process.env.TEST_DATABASE_URL) {
  describe('through PgBouncer in transaction mode (a pool of 2 server connections)', () => {
    let testDb: TestDatabase;
    let bouncer: PgBouncer;
    let direct: string;
    let pooled: string;
    const opened: Database[] = [];

    beforeAll(async () => {
      testDb = await createTestDatabase();
      direct = (testDb.location as { url: string }).url;
      bouncer = await startPgBouncer(direct, { poolSize: 2 });
      pooled = bouncer.urlFor(direct);
    });
    afterAll(async () => {
      for (const database of opened) await database.close();
      await bouncer?.stop();
      await testDb?.drop();
    });

    const open = async (poolSize = 6) => {
      // As DIRECT_DATABASE_URL sets it: no named statements through this PgBouncer (1.18).
      const database = await openDatabase({ engine: 'postgres', url: pooled, poolSize, namedStatements: false });
      opened.push(database);
      return database;
    };

    it('three instances starting at once migrate without a hang, twice, and leave no advisory lock behind', async () => {
      const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, ''));
      const databases = await Promise.all([open(), open(), open()]);
      // Each migration applied exactly once among the three; the second round finds nothing to do.
      for (const expected of [files, []]) {
        const results = await Promise.all(databases.map((database) => migrate(database)));
        expect(results.flatMap((r) => r.applied).sort()).toEqual(expected);
      }
      const client = new pg.Client({ connectionString: direct });
      await client.connect();
      try {
        // This database's locks only: other test files' providers on the same server hold their leader locks.
        const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
        expect(rows[0].n).toBe(0);
      } finally {
        await client.end();
      }
    });

    it('serves a whole sign-in, tokens, userinfo and refresh with every query through the pooler', async () => {
      const database = await open(10);
      let provider: RunningProvider | undefined;
      try {
        provider = await startProvider(testDb, { database });
        const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
        const request = await authorizationRequest(rp, { scope: 'openid profile offline_access', prompt: 'consent' });
        const citizen = SANDBOX_CITIZENS[1]!;
        const callback = await signInThroughPages(new UserAgent(), request.url.href, { username: citizen.personalId, password: SANDBOX_PASSWORD });
        const tokens = await redeem(rp, request, callback);
        const sub = tokens.claims()!.sub;
        expect(await oidc.fetchUserInfo(rp, tokens.access_token, sub)).toMatchObject({ sub });
        const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
        expect(await oidc.tokenIntrospection(rp, refreshed.access_token)).toMatchObject({ active: true, sub });
        // Its notices do not arrive through the pooler (its caches are off): an operator's change waits for nobody,
        // though its LISTEN went to one of the pooler's server connections.
        const started = Date.now();
        expect(await reachEveryInstance(database)).toEqual({ listening: 0, heard: 0 });
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        await provider?.close();
      }
    });

    it('imports population records with DATABASE_URL on the pooler and DIRECT_DATABASE_URL past it', () => {
      const dir = mkdtempSync(join(tmpdir(), 'dinhdanh-pgbouncer-import-'));
      try {
        const path = join(dir, 'records.ndjson');
        writeFileSync(path, [...generateRecords({ count: 40, seed: 'pgbouncer' })].map((r) => JSON.stringify(r)).join('\n'));
        const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATABASE_URL: pooled, DIRECT_DATABASE_URL: direct };
        const result = spawnSync(process.execPath, ['src/cli.ts', 'import', path], { cwd: ROOT, env, encoding: 'utf8' });
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toMatch(/40 read .*40 inserted/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
