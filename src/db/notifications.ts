// Notices between instances sharing a database: PostgreSQL LISTEN/NOTIFY on a connection of its own (PGlite's
// in-process LISTEN on the embedded one). A lost connection is reported, so whoever caches stops trusting it.
import type { Logger } from 'pino';
import type { Database } from './database.ts';

export interface Subscription {
  /** True while every notice sent since the last onReset call has been, or will be, delivered to onNotice. */
  live(): boolean;
  close(): Promise<void>;
}

const RETRY_MS = { first: 500, max: 30_000 };

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

  const lost = (error?: unknown) => {
    if (client === undefined && !live) return;
    client?.removeAllListeners().on('error', () => {});
    client?.end().catch(() => {});
    client = undefined;
    live = false;
    onReset();
    if (!closed) {
      logger.warn({ err: error, channel }, 'change notices lost; caches bypassed until reconnected');
      schedule();
    }
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
        if (message.channel === channel) onNotice(message.payload ?? '');
      });
      await opened.query(`LISTEN ${channel}`);
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
