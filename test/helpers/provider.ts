// Starts the real provider (buildApp, real database, real HTTP port) for a test, with the sandbox seeded.
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import type { ClientMetadata } from 'oidc-provider';
import { buildApp, type App, type AppDeps } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { createLogger } from '../../src/logger.ts';
import { seedSandbox } from '../../src/sandbox/seed.ts';
import { outboxFor } from '../../src/notify/sms.ts';
import type { TestDatabase } from './database.ts';

export const SANDBOX_SECRET = 'sandbox-secret-for-tests-only';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

// The clock each running provider reads, by URL: helpers that play a device beside it (an officer's
// authenticator app) read the same time.
const clocks = new Map<string, () => Date>();
export const providerClock = (url: string): (() => Date) => clocks.get(url) ?? (() => new Date());

export interface RunningProvider extends App {
  url: string;
  database: Database;
  /** Every log line the provider wrote, as text. */
  logs: string[];
  addClient(metadata: ClientMetadata): Promise<void>;
  /** Text of the newest SMS queued for a phone (E.164), if any, once work started by requests has settled. */
  lastSms(phone: string): Promise<string | undefined>;
  /** Stops HTTP and closes the database (unless it was passed in and is shared). */
  close(): Promise<void>;
}

export async function startProvider(
  testDb: TestDatabase,
  options: { database?: Database; port?: number; ttl?: AppDeps['ttl']; env?: Record<string, string>; clock?: () => Date } = {},
): Promise<RunningProvider> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    ISSUER: options.env?.ISSUER ?? url,
    LOG_LEVEL: 'info',
    SANDBOX_CLIENT_SECRET: SANDBOX_SECRET,
    SANDBOX_REDIRECT_URIS: 'http://localhost:8080/callback',
    ...options.env,
  });
  const database = options.database ?? (await openDatabase(testDb.location));
  await migrate(database);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('info', sink);
  const built = await buildApp({ config, database, logger, ...(options.ttl ? { ttl: options.ttl } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  await seedSandbox(database.db, built.relyingParties, built.services.passwords, { ...config.sandbox, issuer: config.issuer });
  await built.app.listen({ host: '127.0.0.1', port });
  clocks.set(url, built.services.now);
  return {
    ...built,
    url,
    database,
    logs,
    addClient: (metadata) => built.relyingParties.save(metadata),
    lastSms: async (phone) => {
      await built.background.idle();
      return (await outboxFor(database.db, phone))[0]?.body ?? undefined;
    },
    async close() {
      await built.app.close();
      if (!options.database) await database.close();
    },
  };
}
