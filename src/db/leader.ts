// One instance per database runs the background jobs: whoever holds a session advisory lock on a connection of
// its own. Every pass asks again, so when the leader dies (its connection, and with it the lock, goes) another
// instance takes over on its next pass. The embedded database has one process, which always leads.
import type { Logger } from 'pino';
import type { Database } from './database.ts';

export interface Leadership {
  /** Whether this instance leads now (taking the lock if it is free). */
  lead(): Promise<boolean>;
  close(): Promise<void>;
}

export function leadership(database: Database, lock: number, logger: Logger): Leadership {
  if (!database.connect) return { lead: async () => true, close: async () => {} };
  const connect = database.connect;
  let client: Awaited<ReturnType<typeof connect>> | undefined;
  let held = false;
  let closed = false;

  const drop = () => {
    client?.removeAllListeners().on('error', () => {});
    client?.end().catch(() => {});
    client = undefined;
    if (held) logger.warn('lost the background-job lock; another instance takes over');
    held = false;
  };
  return {
    async lead() {
      if (closed) return false;
      try {
        if (!client) {
          client = await connect();
          client.on('error', drop);
        }
        if (held) {
          // Still ours while the session lives.
          await client.query('SELECT 1');
          return true;
        }
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [lock]);
        held = rows[0]?.ok === true;
        if (held) logger.info('leading the background jobs of this database');
        return held;
      } catch (error) {
        logger.debug({ err: error }, 'background-job lock unavailable');
        drop();
        return false;
      }
    },
    async close() {
      closed = true;
      const current = client;
      client = undefined;
      held = false;
      current?.removeAllListeners().on('error', () => {});
      await current?.end().catch(() => {});
    },
  };
}
