// Repeated queries are kept by name on each PostgreSQL connection (src/db/database.ts), so the server parses and
// plans them once per connection. What an operator would run into: a migration that changes a table under a kept
// `select *`, and a pooler that loses kept statements. Neither may fail a query.
import { once } from 'node:events';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { databaseLocation, openDatabase, type Database } from '../../src/db/database.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

describe('DATABASE_NAMED_STATEMENTS', () => {
  const URL_ = 'postgres://app@postgres:5432/dinhdanh';
  const POOLED = 'postgres://app@pgbouncer:6432/dinhdanh';
  it('is on for a direct connection, off when DIRECT_DATABASE_URL says a pooler is in between, and says what it is asked', () => {
    expect(databaseLocation(loadConfig({ DATABASE_URL: URL_ }))).toMatchObject({ namedStatements: true });
    expect(databaseLocation(loadConfig({ DATABASE_URL: POOLED, DIRECT_DATABASE_URL: URL_ }))).toMatchObject({ namedStatements: false });
    expect(databaseLocation(loadConfig({ DATABASE_URL: POOLED, DIRECT_DATABASE_URL: URL_, DATABASE_NAMED_STATEMENTS: 'true' }))).toMatchObject({ namedStatements: true });
    expect(databaseLocation(loadConfig({ DATABASE_URL: URL_, DATABASE_NAMED_STATEMENTS: 'false' }))).toMatchObject({ namedStatements: false });
    expect(() => loadConfig({ DATABASE_URL: URL_, DATABASE_NAMED_STATEMENTS: 'sometimes' })).toThrow(/DATABASE_NAMED_STATEMENTS/);
    // The embedded database has no connections to keep them on.
    expect(databaseLocation(loadConfig({}))).toEqual({ engine: 'pglite', dataDir: expect.any(String) });
  });
});

// Only PostgreSQL keeps statements by name (the PostgreSQL pass of .ci/run sets TEST_DATABASE_URL); without that
// server this describe does not exist — not skipped.
if (process.env.TEST_DATABASE_URL) {
  describe('queries kept by name on a PostgreSQL connection', () => {
    let testDb: TestDatabase;
    const opened: Database[] = [];
    // One connection: what one query leaves on the server, the next finds.
    const open = async (namedStatements = true) => {
      const database = await openDatabase({ engine: 'postgres', url: (testDb.location as { url: string }).url, poolSize: 1, namedStatements });
      opened.push(database);
      return database;
    };
    const kept = async (database: Database) =>
      (await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements`.execute(database.db)).rows;

    beforeAll(async () => {
      testDb = await createTestDatabase();
    });
    afterAll(async () => {
      for (const database of opened) await database.close();
      await testDb.drop();
    });

    it('a query with values is kept the second time it runs, under a name its text decides; one-off SQL never is', async () => {
      const database = await open();
      const add = (n: number) => sql<{ sum: number }>`SELECT ${n}::int + 1 AS sum`.execute(database.db);
      expect((await add(1)).rows).toEqual([{ sum: 2 }]);
      expect(await kept(database)).toEqual([]);
      expect((await add(2)).rows).toEqual([{ sum: 3 }]);
      expect((await add(3)).rows).toEqual([{ sum: 4 }]);
      const [statement, ...more] = await kept(database);
      expect(more).toEqual([]);
      expect(statement).toMatchObject({ name: expect.stringMatching(/^dinhdanh_[A-Za-z0-9_-]{24}$/), statement: 'SELECT $1::int + 1 AS sum' });
      // Another process names the same text the same way.
      const other = await open();
      await add(4);
      await sql`SELECT ${5}::int + 1 AS sum`.execute(other.db);
      await sql`SELECT ${6}::int + 1 AS sum`.execute(other.db);
      expect((await kept(other)).map((s) => s.name)).toEqual([statement!.name]);
    });

    it('when a migration changes what a kept `select *` returns, the query answers with the new column', async () => {
      const database = await open();
      await sql`CREATE TABLE kept_shape (id int PRIMARY KEY)`.execute(database.db);
      await sql`INSERT INTO kept_shape VALUES (1)`.execute(database.db);
      const read = () => sql<Record<string, unknown>>`SELECT * FROM kept_shape WHERE id = ${1}`.execute(database.db);
      await read();
      expect((await read()).rows).toEqual([{ id: 1 }]);
      await sql`ALTER TABLE kept_shape ADD COLUMN note text DEFAULT 'added'`.execute(database.db);
      expect((await read()).rows).toEqual([{ id: 1, note: 'added' }]);
      expect((await read()).rows).toEqual([{ id: 1, note: 'added' }]);
    });

    it('a pooler that loses kept statements fails no query: they run again unnamed, names stop, and the operator is told', async () => {
      const database = await open();
      const add = (n: number) => sql<{ sum: number }>`SELECT ${n}::int + 2 AS sum`.execute(database.db);
      await add(1);
      await add(1);
      expect(await kept(database)).toHaveLength(1);
      // As a transaction-mode pooler does when the next statement lands on another server connection.
      await sql`DEALLOCATE ALL`.execute(database.db);
      const warned = once(process, 'warning');
      expect((await add(5)).rows).toEqual([{ sum: 7 }]);
      const [warning] = (await warned) as [Error];
      expect(warning.message).toContain('DATABASE_NAMED_STATEMENTS=false');
      const double = (n: number) => sql<{ twice: number }>`SELECT ${n}::int * 2 AS twice`.execute(database.db);
      for (const n of [1, 2, 3]) expect((await double(n)).rows).toEqual([{ twice: n * 2 }]);
      expect(await kept(database)).toEqual([]);
    });

    it('a batch (a multi-row insert, one text per batch size) is not kept: its names are left for the hot queries', async () => {
      const database = await open();
      const many = Array.from({ length: 17 }, (_, i) => i);
      const values = (n: number) => sql.join(many.map((i) => sql`(${i + n})`));
      for (const n of [1, 2, 3]) await sql`SELECT count(*) FROM (VALUES ${values(n)}) AS v(x)`.execute(database.db);
      expect(await kept(database)).toEqual([]);
    });

    it('switched off (DATABASE_NAMED_STATEMENTS=false, or DIRECT_DATABASE_URL naming a pooler), nothing is kept', async () => {
      const database = await open(false);
      for (const n of [1, 2, 3]) await sql`SELECT ${n}::int + 3 AS sum`.execute(database.db);
      expect(await kept(database)).toEqual([]);
    });
  });
}
