// A PgBouncer of the test's own in transaction mode, on a free port, in front of a PostgreSQL server (Debian's
// `pgbouncer` package; it refuses to run as root, so as the postgres user, as postgres-server.ts does). Its pool is
// smaller than the clients' pools, so statements of one client keep landing on different server connections.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './provider.ts';

const run = promisify(execFile);
export const PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncer {
  /** `server`'s URL with PgBouncer's host and port instead. */
  urlFor(server: string): string;
  stop(): Promise<void>;
}

export async function startPgBouncer(server: string, options: { poolSize?: number } = {}): Promise<PgBouncer> {
  const target = new URL(server);
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'dinhdanh-pgbouncer-'));
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? { uid: Number((await run('id', ['-u', 'postgres'])).stdout), gid: Number((await run('id', ['-g', 'postgres'])).stdout) } : undefined;
  if (user) chownSync(root, user.uid, user.gid);
  const config = join(root, 'pgbouncer.ini');
  writeFileSync(
    config,
    [
      '[databases]',
      // Any database name, on the same server, as the server's user (the test servers trust loopback).
      `* = host=${target.hostname} port=${target.port || 5432} user=${decodeURIComponent(target.username) || 'postgres'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 3}`,
      'max_client_conn = 500',
      // node-postgres sends no startup options PgBouncer would refuse; psql-like tools may send these.
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(root, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  if (user) chownSync(config, user.uid, user.gid);
  const child: ChildProcess = spawn(PGBOUNCER, [config], { stdio: 'ignore', ...user });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM'); // immediate shutdown (SIGINT would wait for every client to leave)
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  };
  // Ready once it accepts connections.
  for (let tries = 0; ; tries++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (tries > 100 || child.exitCode !== null) {
      await stop();
      throw new Error(`pgbouncer did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    urlFor(url) {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      return through.href;
    },
    stop,
  };
}
