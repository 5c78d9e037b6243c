// The primary of WORKERS processes (node:cluster): they share the listening port and the database; the primary
// serves nothing itself. It starts one worker first (migrations, sandbox seed, keys: no races), then the rest;
// replaces a worker that dies, waiting longer after each early death so a broken worker never loops hot;
// on SIGTERM it stops them all (each finishes its in-flight requests) and exits 0.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { sandboxBanner } from './sandbox/banner.ts';
import { databaseLabel } from './db/database.ts';
import { servingEnv } from './runtime-tuning.ts';
import { serveClusterMetrics } from './observability/cluster-metrics.ts';

/** A worker that lived this long died of something new: its replacement starts at once. */
const HEALTHY_MS = 30_000;
const BACKOFF_MS = { first: 500, max: 30_000 };
/** Longer than a worker's own shutdown timeout (src/serve.ts), so each gets the chance to finish. */
const SHUTDOWN_MS = 15_000;

/** How long to wait before replacing a worker, after this many deaths in a row of workers that died young. */
export function restartDelay(earlyDeaths: number): number {
  return earlyDeaths === 0 ? 0 : Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** (earlyDeaths - 1));
}

export function runPrimary(config: Config, logger: Logger): void {
  // libuv's pool must be sized before a worker starts it: the hashes this worker may run at once (config.ts)
  // plus two threads so file, DNS and crypto work never waits behind argon2. An operator's own value wins.
  const threads = process.env.UV_THREADPOOL_SIZE ?? String(config.argon2.concurrency + 2);
  const alive = new Map<Worker, number>(); // worker → when it started
  let started = false;
  let stopping = false;
  let earlyDeaths = 0;
  let failed = false;

  const fork = () => {
    // Workers get the memory settings however the primary was started (src/runtime-tuning.ts).
    const worker = cluster.fork({ ...servingEnv(), UV_THREADPOOL_SIZE: threads });
    alive.set(worker, Date.now());
    return worker;
  };

  // A scrape of /metrics at any worker gets every worker's figures, summed here.
  serveClusterMetrics(() => alive.keys());
  logger.info({ workers: config.workers, threadPool: Number(threads), hashesPerWorker: config.argon2.concurrency }, 'starting workers');
  const first = fork();
  first.once('listening', () => {
    started = true;
    for (let i = 1; i < config.workers; i++) fork();
    if (config.sandbox.seed) process.stderr.write(sandboxBanner(config, databaseLabel(config)));
  });

  cluster.on('listening', (worker, address) => logger.info({ worker: worker.process.pid, port: address.port }, 'worker listening'));
  cluster.on('exit', (worker, code, signal) => {
    const since = alive.get(worker) ?? Date.now();
    alive.delete(worker);
    if (stopping) {
      // Ended by our SIGTERM before it installed its handler: still starting, so nothing was in flight.
      if (code !== 0 && signal !== 'SIGTERM') failed = true;
      if (alive.size === 0) finish();
      return;
    }
    if (!started) {
      // The first worker could not start (the database refused, production found the sandbox): so would the rest.
      logger.error({ worker: worker.process.pid, code, signal }, 'the first worker did not start; stopping');
      process.exit(code || 1);
    }
    earlyDeaths = Date.now() - since > HEALTHY_MS ? 0 : earlyDeaths + 1;
    const delay = restartDelay(earlyDeaths);
    logger.error({ worker: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  function finish() {
    logger.info({ failed }, 'all workers stopped');
    process.exit(failed ? 1 : 0);
  }

  function shutdown(signal: string) {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    if (alive.size === 0) return finish();
    // Each worker closes its listener (new connections go to none), finishes its requests and exits.
    for (const worker of alive.keys()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      logger.error({ workers: [...alive.keys()].map((w) => w.process.pid) }, 'shutdown timed out');
      for (const worker of alive.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_MS).unref();
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
