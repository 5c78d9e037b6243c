// The token lookups behind userinfo, introspection and every sign-in page stay index lookups however many
// sessions and grants are stored, under the generic plan PostgreSQL switches a prepared statement to, and before
// the table has statistics. With the model names sent as parameters, that plan sorted every Session on disk for
// each lookup (1.6 s at 67,000 sessions, on a server with autovacuum off).
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import type { Schema } from '../../src/db/schema.ts';
import { READS_AHEAD, readAheadLookup, sessionWithInteractionLookup } from '../../src/oidc/adapter.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const STORED = 60_000;
let testDb: TestDatabase;
let database: Database;
let db: Kysely<Schema>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase(testDb.location);
  await migrate(database);
  db = database.db;
  // Before the table's first ANALYZE (a new database, or a server with autovacuum off): no statistics to plan with.
  await sql`ALTER TABLE oidc_payloads SET (autovacuum_enabled = false)`.execute(db);
  // A busy day's sessions, each with its grant and an access token, as the provider stores them.
  await sql`
    INSERT INTO oidc_payloads (model, id, payload, grant_id, uid, expires_at)
    SELECT m.model, m.model || '-' || n, jsonb_build_object('accountId', 'account-' || n, 'grantId', 'Grant-' || n, 'sessionUid', 'uid-' || n,
             'uid', 'uid-' || n, 'kind', m.model, 'exp', 2000000000, 'claims', repeat('x', 400)),
           CASE WHEN m.model IN ('AccessToken', 'Grant') THEN 'Grant-' || n END,
           CASE WHEN m.model = 'Session' THEN 'uid-' || n END,
           now() + interval '1 day'
    FROM generate_series(1, ${STORED}) AS n, (VALUES ('Session'), ('Grant'), ('AccessToken')) AS m(model)`.execute(db);
  // Each session and grant is rewritten as a sign-in goes on: the dead rows stay until a vacuum.
  for (let round = 0; round < 3; round++) await sql`UPDATE oidc_payloads SET payload = payload || jsonb_build_object('round', ${sql.lit(round)}) WHERE model IN ('Session', 'Grant')`.execute(db);
}, 300_000);
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}
const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

/** The statement as the adapter prepares it, run under the generic plan: the rows each step of the plan touched. */
async function genericPlan(query: CompiledQuery): Promise<PlanNode[]> {
  return db.connection().execute(async (connection) => {
    await sql`SET plan_cache_mode = force_generic_plan`.execute(connection);
    await sql.raw(`PREPARE lookup AS ${query.sql}`).execute(connection);
    try {
      const values = query.parameters.map((value) => sql.lit(String(value)));
      const { rows } = await sql<{ 'QUERY PLAN': unknown }>`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE lookup(${sql.join(values)})`.execute(connection);
      const plan = rows[0]!['QUERY PLAN'];
      const parsed = (typeof plan === 'string' ? JSON.parse(plan) : plan) as Array<{ Plan: PlanNode }>;
      return nodes(parsed[0]!.Plan);
    } finally {
      await sql`DEALLOCATE lookup`.execute(connection);
      await sql`RESET plan_cache_mode`.execute(connection);
    }
  });
}

// Index entries count dead versions too: a row rewritten three times and not yet vacuumed is four entries.
const widest = (plan: PlanNode[]) => Math.max(...plan.map((node) => node['Actual Rows'] * node['Actual Loops']));

describe(`token lookups with ${STORED.toLocaleString('en')} sessions, grants and access tokens stored`, () => {
  it('finds an access token with its grant and session by touching a few rows, not the table', async () => {
    const plan = await genericPlan(readAheadLookup(db, READS_AHEAD.AccessToken!, `AccessToken-${STORED / 2}`).compile());
    expect(plan.map((node) => node['Node Type'])).not.toContain('Sort');
    expect(widest(plan)).toBeLessThanOrEqual(10);
    const { rows } = await db.executeQuery(readAheadLookup(db, READS_AHEAD.AccessToken!, `AccessToken-${STORED / 2}`).compile());
    expect(rows).toMatchObject([{ model: 'AccessToken', id: `AccessToken-${STORED / 2}`, grant: expect.stringContaining(`"Grant-${STORED / 2}"`) }]);
  });

  it('finds a session and the interaction a sign-in page resumes by touching a few rows', async () => {
    const plan = await genericPlan(sessionWithInteractionLookup(db, `Session-${STORED / 3}`, 'no-such-interaction').compile());
    expect(plan.map((node) => node['Node Type'])).not.toContain('Sort');
    expect(widest(plan)).toBeLessThanOrEqual(10);
  });
});
