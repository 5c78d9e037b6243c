// One serving process: database → migrations → app → listen → graceful shutdown. Alone (WORKERS=1) or as one
// of the workers src/cluster.ts forks; the same code either way.
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import type { Config } from './config.ts';
import { DatabaseInUseError } from './db/data-dir-lock.ts';
import { databaseLabel, databaseLocation, openDatabase } from './db/database.ts';
import { migrate } from './db/migrator.ts';
import { upkeepWarnings } from './db/upkeep.ts';
import { DatabaseStartError, databaseProblem, whenDatabaseAnswers } from './db/wait.ts';
import { tuneHeap } from './runtime-tuning.ts';
import { sandboxBanner } from './sandbox/banner.ts';
import { describePresence, isEmpty, sandboxPresence } from './sandbox/presence.ts';
import { seedSandbox } from './sandbox/seed.ts';

const EMBEDDED_IN_PRODUCTION =
  'production on the embedded database: it runs with fsync off, so a crash of the machine may lose any recent change (a new password, a revocation), and it serves every request from one connection; set DATABASE_URL to run production on PostgreSQL';

export async function serve(config: Config, logger: Logger): Promise<void> {
  tuneHeap(config.heapGrowingPercent);
  const location = databaseLocation(config);
  const database = await openDatabase(location, { warn: (message) => logger.warn(message) }).catch((error: unknown) => {
    if (!(error instanceof DatabaseInUseError)) throw error;
    process.stderr.write(`dinhdanh: ${error.message}\n`);
    process.exit(1);
  });
  // A start the database ended: one line, exit 1, for the primary or the supervisor to start afresh.
  const cannotStart = async (reason: string): Promise<never> => {
    logger.flush();
    process.stderr.write(`dinhdanh: cannot start: ${reason}\n`);
    await database.close().catch(() => {});
    process.exit(1);
  };
  // The first contact: waited for while the server is away, in one log line per try (src/db/wait.ts).
  const migrations = await whenDatabaseAnswers(() => migrate(database), {
    waitSeconds: config.databaseWaitSeconds,
    onRetry: (details) => logger.warn(details, 'the database is unavailable; waiting for it'),
  }).catch((error: unknown) => {
    if (!(error instanceof DatabaseStartError)) throw error;
    return cannotStart(error.message);
  });
  logger.info({ applied: migrations.applied, engine: location.engine }, 'database migrated');
  if (location.engine === 'postgres') for (const warning of await upkeepWarnings(database.db)) logger.warn(warning);
  // Allowed (a trial on one machine), but said: PGlite flushes nothing at a commit and serves from one connection.
  if (location.engine === 'pglite' && config.env === 'production') logger.warn(EMBEDDED_IN_PRODUCTION);

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

  const app = await (async () => {
    const { app, relyingParties, services } = await buildApp({ config, database, logger });
    if (config.sandbox.seed) {
      // Seeds an empty database; either way the sandbox client follows SANDBOX_REDIRECT_URIS and the secret as set now.
      const seeded = await seedSandbox(database.db, relyingParties, services.passwords, { ...config.sandbox, issuer: config.issuer });
      if (seeded) logger.info('sandbox client and test citizens seeded');
    }
    await app.listen({ host: config.host, port: config.port });
    return app;
  })().catch((error: unknown) => {
    // Gone again between the migration and listening (each step that wrote is a transaction of its own), or the
    // port cannot be had.
    const problem = databaseProblem(error) ?? listenProblem(error, config);
    if (!problem) throw error;
    return cannotStart(problem);
  });
  logger.flush();
  // With workers, the primary prints it once (src/cluster.ts).
  if (config.sandbox.seed && cluster.isPrimary) process.stderr.write(sandboxBanner(config, databaseLabel(config)));

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
  // A worker whose primary is gone gets no more connections: it finishes what it has and leaves.
  if (cluster.isWorker) process.on('disconnect', () => void shutdown('primary gone'));
}

/** Why the port could not be listened on, in the settings' terms; undefined for anything else. */
function listenProblem(error: unknown, config: Config): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') return `PORT: ${config.port} is already in use on ${config.host} (another process listens on ${where}); stop it or choose another PORT`;
  if (code === 'EACCES') return `PORT: ${config.port} needs privileges this process does not have; choose a PORT above 1023`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return `HOST: ${config.host} is not an address of this machine (set HOST=0.0.0.0 to listen on every interface)`;
  return undefined;
}
