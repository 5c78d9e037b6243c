// Whoever suspends a client (the CLI, the operator API) is answered only once every instance has dropped what it
// cached of it: the next request anywhere is refused, with no change notice still on its way
// (src/db/notifications.ts, reachEveryInstance). An instance that does not answer is reported, not waited for forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeClientState } from '../../src/clients/lifecycle.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { LISTENER_NAME, reachEveryInstance } from '../../src/db/notifications.ts';
import { createScratchDatabase } from '../../src/db/scratch.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from '../helpers/database.ts';
import { officerClient } from '../helpers/officer-api.ts';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';

const CLI = { type: 'system', id: 'cli' } as const;

/** Two instances on one database, and what a CLI opens beside them (on PGlite the instances' own, one process's). */
function twoInstances(database: () => Promise<TestDatabase>) {
  const setup = {} as { testDb: TestDatabase; outside: Database; first: RunningProvider; second: RunningProvider };
  beforeAll(async () => {
    setup.testDb = await database();
    setup.outside = await openDatabase(setup.testDb.location);
    // On PostgreSQL each instance has its own pool and listening connection, as separate processes would.
    const shared = setup.testDb.location.engine === 'pglite' ? { database: setup.outside } : {};
    setup.first = await startProvider(setup.testDb, shared);
    setup.second = await startProvider(setup.testDb, shared);
    await setup.first.addClient({ client_id: 'cong-xa', client_name: 'Cổng xã', client_secret: 'xa-secret-xa-secret-xa', redirect_uris: ['https://xa.example/cb'] });
  }, 120_000);
  afterAll(async () => {
    await setup.first?.close();
    await setup.second?.close();
    await setup.outside?.close();
    await setup.testDb?.drop();
  });
  return setup;
}

/** The client approved, and read once on each instance, so each serves it from memory. */
async function approvedEverywhere({ outside, first, second }: { outside: Database; first: RunningProvider; second: RunningProvider }) {
  const state = (await outside.db.selectFrom('relying_parties').select('state').where('client_id', '=', 'cong-xa').executeTakeFirstOrThrow()).state;
  if (state === 'suspended') expect((await changeClientState(outside.db, 'cong-xa', 'reinstate', CLI)).ok).toBe(true);
  await reachEveryInstance(outside);
  for (const instance of [first, second]) expect(await instance.relyingParties.find('cong-xa')).toBeDefined();
}

describe(`two instances (${ENGINE})`, () => {
  const setup = twoInstances(createTestDatabase);

  it('reports a suspension once both instances have dropped the client, and both refuse it on the next lookup', async () => {
    const { outside, first, second } = setup;
    await approvedEverywhere(setup);
    expect((await changeClientState(outside.db, 'cong-xa', 'suspend', CLI, 'thử')).ok).toBe(true);
    expect(await reachEveryInstance(outside)).toEqual({ listening: 2, heard: 2 });
    expect(await first.relyingParties.find('cong-xa')).toBeUndefined();
    expect(await second.relyingParties.find('cong-xa')).toBeUndefined();
  });

  it('answers an operator who suspended a client on one instance once the other refuses it too', async () => {
    const { first, second } = setup;
    await approvedEverywhere(setup);
    const operator = await officerClient(first.url, 'vanhanh');
    expect(await operator.call('POST', '/operator/clients/cong-xa/suspend', { reason: 'hợp đồng hết hạn' })).toMatchObject({ status: 200, body: { state: 'suspended' } });
    expect(await second.relyingParties.find('cong-xa')).toBeUndefined();
    expect(await first.relyingParties.find('cong-xa')).toBeUndefined();
  });
});

// A stuck instance is one process among several on PostgreSQL (the embedded database is one process's): on a server
// of the test's own when the suite runs on PGlite.
describe('an instance that does not answer (PostgreSQL)', () => {
  let server: PostgresServer | undefined;
  const setup = twoInstances(async () => {
    if (!process.env.TEST_DATABASE_URL) server = await startPostgresServer();
    const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL ?? server!.url, 'dinhdanh_reach');
    // Dropped after both instances closed, then the server of the test's own goes with it.
    return { location: { engine: 'postgres', url: scratch.url, poolSize: 5 }, drop: async () => (await scratch.drop(), await server?.remove()) };
  });

  /** A listener that hears the barrier and never answers: an instance whose event loop is stuck. */
  async function stuckInstance() {
    const stuck = await setup.outside.connect!();
    await stuck.query('LISTEN dinhdanh_notice_barriers');
    await stuck.query('SELECT set_config($1, $2, false)', ['application_name', LISTENER_NAME]);
    return stuck;
  }

  it('is counted and reported after the wait, and the others still confirm', async () => {
    const stuck = await stuckInstance();
    try {
      const started = Date.now();
      expect(await reachEveryInstance(setup.outside, 400)).toEqual({ listening: 3, heard: 2 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    } finally {
      await stuck.end();
    }
    expect(await reachEveryInstance(setup.outside)).toEqual({ listening: 2, heard: 2 });
  });

  it('holds the answer to an operator until every instance answered or the wait ran out, and says which', async () => {
    await approvedEverywhere(setup);
    const stuck = await stuckInstance();
    try {
      const operator = await officerClient(setup.first.url, 'vanhanh');
      const started = Date.now();
      expect(await operator.call('POST', '/operator/clients/cong-xa/suspend', { reason: 'kiểm thử' })).toMatchObject({ status: 200 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
    } finally {
      await stuck.end();
    }
    const warning = setup.first.logs.map((line) => JSON.parse(line)).find((line) => line.msg?.startsWith('not every instance confirmed'));
    expect(warning).toMatchObject({ listening: 3, heard: 2 });
    expect(await setup.second.relyingParties.find('cong-xa')).toBeUndefined();
  }, 30_000);

  it('finds nothing to wait for where no instance listens', async () => {
    const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL ?? server!.url, 'dinhdanh_reach_empty');
    const empty = await openDatabase({ engine: 'postgres', url: scratch.url });
    try {
      expect(await reachEveryInstance(empty)).toEqual({ listening: 0, heard: 0 });
    } finally {
      await empty.close();
      await scratch.drop();
    }
  });
});
