// A PostgreSQL 15 server of the test's own, on a free port, that the test may stop and restart: fault tests
// never touch the shared server at 5432. Run as the postgres user (runuser when the tests run as root, as in CI).
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './provider.ts';

const BIN = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust authentication, loopback only). */
  url: string;
  /** Fast shutdown: connected clients get 57P01 "terminating connection due to administrator command". */
  stop(): Promise<void>;
  /** Returns once the server accepts connections. */
  start(): Promise<void>;
  /** Stops the server if it runs and deletes its data directory. Safe to call twice. */
  remove(): Promise<void>;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const asRoot = process.getuid?.() === 0;
  const idOf = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  const exec = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', `${BIN}/${command}`, ...args]) : run(`${BIN}/${command}`, args);
  const root = mkdtempSync(join(tmpdir(), 'dinhdanh-pg-'));
  const dataDir = join(root, 'data');
  if (asRoot) chownSync(root, await idOf('-u'), await idOf('-g'));
  const port = await freePort();
  // The socket directory is the temp dir as well: nothing of this server is left anywhere else.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${root} -c fsync=off -c full_page_writes=off -c synchronous_commit=off`;
  let running = false;
  const server: PostgresServer = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await exec('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    async start() {
      await exec('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(root, 'server.log'), '-w', '-t', '30', 'start']);
      running = true;
    },
    async remove() {
      if (running) await server.stop().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await exec('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await server.start();
  } catch (error) {
    await server.remove();
    throw error;
  }
  return server;
}
