// Three provider instances on one database behind a round-robin balancer whose address is the issuer. On
// PostgreSQL each instance has its own connection pool, as separate processes would; PGlite is one connection in
// this process, so there the three share it — everything else (provider, keys in memory, caches, Fastify) is
// each instance's own, and whatever they share goes through the database.
import { afterAll, beforeAll } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { outboxFor } from '../../src/notify/sms.ts';
import { createTestDatabase, ENGINE, type TestDatabase } from './database.ts';
import { freePort, startProvider, type RunningProvider } from './provider.ts';
import { startRoundRobin, type RoundRobin } from './round-robin.ts';

export interface ThreeInstances {
  instances: RunningProvider[];
  balancer: RoundRobin;
  /** The first instance as helpers that take a provider see it, but at the issuer's (the balancer's) address. */
  issuer: RunningProvider;
  /** Text of the newest SMS to a phone, once every instance's background work has settled. */
  lastSms(phone: string): Promise<string | undefined>;
}

export function threeInstancesForSuite(env: Record<string, string> = {}): ThreeInstances {
  const suite = { instances: [] as RunningProvider[] } as ThreeInstances & { testDb: TestDatabase };
  beforeAll(async () => {
    suite.testDb = await createTestDatabase();
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 3; i++) {
      const first = suite.instances[0];
      const database = !first ? undefined : ENGINE === 'postgres' ? await openDatabase(suite.testDb.location) : first.database;
      suite.instances.push(await startProvider(suite.testDb, { ...(database ? { database } : {}), env: { ISSUER: issuer, ...env } }));
    }
    suite.balancer = await startRoundRobin(
      suite.instances.map((instance, i) => ({ name: 'ABC'[i]!, url: instance.url })),
      port,
    );
    suite.issuer = { ...suite.instances[0]!, url: issuer };
    suite.lastSms = async (phone) => {
      await Promise.all(suite.instances.map((instance) => instance.background.idle()));
      return (await outboxFor(suite.instances[0]!.database.db, phone))[0]?.body ?? undefined;
    };
  }, 120_000);
  afterAll(async () => {
    await suite.balancer?.close();
    // The first instance owns the database it opened; on PostgreSQL the others own their pools.
    for (const instance of suite.instances.slice(1).reverse()) {
      await instance.close();
      if (ENGINE === 'postgres') await instance.database.close();
    }
    await suite.instances[0]?.close();
    await suite.testDb?.drop();
  });
  return suite;
}
