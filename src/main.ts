// Process entry: config → database → migrations → app → listen → graceful shutdown.
import { buildApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { DatabaseInUseError } from './db/data-dir-lock.ts';
import { databaseLocation, openDatabase } from './db/database.ts';
import { migrate } from './db/migrator.ts';
import { createLogger } from './logger.ts';
import { sandboxBanner } from './sandbox/banner.ts';
import { describePresence, isEmpty, sandboxPresence } from './sandbox/presence.ts';
import { seedSandbox } from './sandbox/seed.ts';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`dinhdanh: ${error.message}\n`);
  process.exit(2);
}

const logger = createLogger(config.logLevel);
const location = databaseLocation(config);
const databaseLabel = location.engine === 'postgres' ? 'PostgreSQL' : `embedded PGlite in ${location.dataDir}`;
const database = await openDatabase(location).catch((error: unknown) => {
  if (!(error instanceof DatabaseInUseError)) throw error;
  process.stderr.write(`dinhdanh: ${error.message}\n`);
  process.exit(1);
});
const migrations = await migrate(database);
logger.info({ applied: migrations.applied, engine: location.engine }, 'database migrated');

if (config.env === 'production') {
  // Published passwords never reach production: a database that once ran the sandbox must be cleaned first.
  const presence = await sandboxPresence(database.db);
  if (!isEmpty(presence)) {
    process.stderr.write(
      `dinhdanh: refusing to start in production: the database holds the development sandbox (${describePresence(presence)}).\n` +
        '  Remove it with `NODE_ENV=production npm run cli -- sandbox remove` (same DATABASE_URL or DATA_DIR), then start again.\n',
    );
    await database.close();
    process.exit(2);
  }
}

const { app, relyingParties, services } = await buildApp({ config, database, logger });
if (config.sandbox.seed) {
  // Seeds an empty database; either way the sandbox client follows SANDBOX_REDIRECT_URIS and the secret as set now.
  const seeded = await seedSandbox(database.db, relyingParties, services.passwords, { ...config.sandbox, issuer: config.issuer });
  if (seeded) logger.info('sandbox client and test citizens seeded');
}
await app.listen({ host: config.host, port: config.port });
if (config.sandbox.seed) process.stderr.write(sandboxBanner(config, databaseLabel));

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // In-flight requests finish; a stuck one does not hold the process forever.
  const force = setTimeout(() => {
    logger.error('shutdown timed out');
    process.exit(1);
  }, 10_000);
  force.unref();
  try {
    await app.close();
    await database.close();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
