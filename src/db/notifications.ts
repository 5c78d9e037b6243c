// Notices between instances sharing a database: PostgreSQL LISTEN/NOTIFY on a connection of its own (PGlite's
// in-process LISTEN on the embedded one). A lost connection is reported, so whoever caches stops trusting it.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from './database.ts';

export interface Subscription {
  /** True while every notice sent since the last onReset call has been, or will be, delivered to onNotice. */
  live(): boolean;
  close(): Promise<void>;
}

const RETRY_MS = { first: 500, max: 30_000 };
/** How long our own probe notice may take to come back before notices are judged not to arrive. */
const PROBE_MS = 5_000;
const PROBE = 'probe:';

/** channel: a plain identifier. onReset: notices may have been missed (connection lost or regained). */
export async function subscribe(database: Database, channel: string, onNotice: (payload: string) => void, onReset: () => void, logger: Logger): Promise<Subscription> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  if (database.pglite) {
    const pglite = database.pglite;
    const unlisten = await pglite.listen(channel, onNotice);
    // A database closed first (a test's outage) took the listener with it.
    return { live: () => !pglite.closed, close: async () => void (pglite.closed ? undefined : await unlisten()) };
  }
  const connect = database.connect!;
  let live = false;
  let closed = false;
  let client: Awaited<ReturnType<typeof connect>> | undefined;
  let retry: NodeJS.Timeout | undefined;
  let delay = RETRY_MS.first;
  let probe: { token: string; arrived: () => void } | undefined;
  let warnedSilent = false;

  const lost = (error?: unknown) => {
    if (client === undefined && !live) return;
    const wasLive = live;
    client?.removeAllListeners().on('error', () => {});
    client?.end().catch(() => {});
    client = undefined;
    live = false;
    onReset();
    if (closed) return;
    if (wasLive) logger.warn({ err: error, channel }, 'change notices lost; caches bypassed until reconnected');
    schedule();
  };
  const schedule = () => {
    retry = setTimeout(() => void open(), delay);
    retry.unref();
    delay = Math.min(delay * 2, RETRY_MS.max);
  };
  const open = async () => {
    try {
      const opened = await connect();
      if (closed) return void (await opened.end());
      client = opened;
      opened.on('error', lost);
      opened.on('end', () => lost());
      opened.on('notification', (message) => {
        if (message.channel !== channel) return;
        const payload = message.payload ?? '';
        if (!payload.startsWith(PROBE)) onNotice(payload);
        else if (payload === probe?.token) probe.arrived();
      });
      await opened.query(`LISTEN ${channel}`);
      // Trusted only once a notice sent from the pool comes back: through a pooler in transaction mode (PgBouncer)
      // LISTEN silently hears nothing, and a cache that trusted it would serve a suspended client.
      const token = `${PROBE}${randomBytes(9).toString('base64url')}`;
      const heard = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), PROBE_MS);
        probe = { token, arrived: () => (clearTimeout(timer), resolve(true)) };
      });
      await sql`SELECT pg_notify(${channel}, ${token})`.execute(database.db);
      if (!(await heard)) {
        if (!warnedSilent) logger.warn({ channel }, 'change notices do not arrive (a pooler in transaction mode?); the client cache stays off');
        warnedSilent = true;
        delay = RETRY_MS.max;
        throw new Error('change notices do not arrive');
      }
      probe = undefined;
      delay = RETRY_MS.first;
      // Anything cached before this point may have missed a notice.
      onReset();
      live = true;
    } catch (error) {
      if (client) lost(error);
      else if (!closed) schedule();
    }
  };
  await open();
  return {
    live: () => live,
    async close() {
      closed = true;
      clearTimeout(retry);
      live = false;
      const current = client;
      client = undefined;
      current?.removeAllListeners().on('error', () => {});
      await current?.end().catch(() => {});
    },
  };
}
