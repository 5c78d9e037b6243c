// Process entry: config, then either this process serves (WORKERS=1, or a forked worker) or it is the primary
// that forks WORKERS processes sharing the port and the database (src/cluster.ts).
import cluster from 'node:cluster';
import { runPrimary } from './cluster.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createLogger, standardOutput } from './logger.ts';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`dinhdanh: ${error.message}\n`);
  process.exit(2);
}

const logger = createLogger(config.logLevel, standardOutput());
// The primary loads none of the serving code: it only watches its workers.
if (config.workers > 1 && cluster.isPrimary) runPrimary(config, logger);
else await (await import('./serve.ts')).serve(config, logger);
