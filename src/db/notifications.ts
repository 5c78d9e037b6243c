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

/**
 * handlers: each channel (a plain identifier) and what to do with its notices, all heard on one connection (a direct
 * one, past any pooler: one per instance, however many caches). onReset: notices may have been missed (connection
 * lost or regained).
 */
export async function subscribe(database: Database, handlers: Record<string, (payload: string) => void>, onReset: () => void, logger: Logger): Promise<Subscription> {
  const channels = Object.keys(handlers);
  const bad = channels.find((channel) => !/^[a-z_][a-z0-9_]*$/.test(channel));
  if (bad !== undefined || channels.length === 0) throw new Error(`not a channel name: ${bad}`);
  // The probe travels on the first channel; its listeners know a probe from a notice.
  const channel = channels[0]!;
  if (database.pglite) {
    const pglite = database.pglite;
    const unlisten = await Promise.all(channels.map((name) => pglite.listen(name, (payload) => handlers[name]!(payload))));
    // A database closed first (a test's outage) took the listeners with it.
    return { live: () => !pglite.closed, close: async () => void (pglite.closed ? undefined : await Promise.all(unlisten.map((stop) => stop()))) };
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
    if (wasLive) logger.warn({ err: error, channels }, 'change notices lost; caches bypassed until reconnected');
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
        const handle = Object.hasOwn(handlers, message.channel) ? handlers[message.channel] : undefined;
        if (!handle) return;
        const payload = message.payload ?? '';
        if (!payload.startsWith(PROBE)) handle(payload);
        else if (payload === probe?.token) probe.arrived();
      });
      for (const name of channels) await opened.query(`LISTEN ${name}`);
      // Trusted only once a notice sent from the pool comes back: through a pooler in transaction mode (PgBouncer)
      // LISTEN silently hears nothing, and a cache that trusted it would serve a suspended client.
      const token = `${PROBE}${randomBytes(9).toString('base64url')}`;
      const heard = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), PROBE_MS);
        probe = { token, arrived: () => (clearTimeout(timer), resolve(true)) };
      });
      await sql`SELECT pg_notify(${channel}, ${token})`.execute(database.db);
      if (!(await heard)) {
        if (!warnedSilent) logger.warn({ channels }, 'change notices do not arrive (a pooler in transaction mode?); the caches stay off');
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
