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

/** How far a change got: the instances listening for notices, and how many of them said they had handled it. */
export interface Reach {
  listening: number;
  heard: number;
}

const RETRY_MS = { first: 500, max: 30_000 };
/** How long our own probe notice may take to come back before notices are judged not to arrive. */
const PROBE_MS = 5_000;
const PROBE = 'probe:';
// A barrier asks every listening instance to answer once it has handled every notice committed before it: notices
// reach each listener in commit order, so its answer means the change before it is in effect there too.
const BARRIERS = 'dinhdanh_notice_barriers';
const ANSWERS = 'dinhdanh_notice_answers';
/** The application_name of a connection that hears notices: how a barrier counts the instances it waits for. */
export const LISTENER_NAME = 'dinhdanh notices';
const BARRIER_MS = 5_000;
// PGlite is one process's: its listeners are this process's subscriptions.
const pgliteListeners = new WeakMap<object, number>();

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
    const unlisten = await Promise.all([
      ...channels.map((name) => pglite.listen(name, (payload) => handlers[name]!(payload))),
      pglite.listen(BARRIERS, (token) => void pglite.query('SELECT pg_notify($1, $2)', [ANSWERS, token]).catch(() => {})),
    ]);
    pgliteListeners.set(pglite, (pgliteListeners.get(pglite) ?? 0) + 1);
    let closed = false;
    return {
      live: () => !pglite.closed,
      async close() {
        if (closed) return;
        closed = true;
        pgliteListeners.set(pglite, (pgliteListeners.get(pglite) ?? 1) - 1);
        // A database closed first (a test's outage) took the listeners with it.
        if (!pglite.closed) await Promise.all(unlisten.map((stop) => stop()));
      },
    };
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
        if (message.channel === BARRIERS) return void opened.query('SELECT pg_notify($1, $2)', [ANSWERS, message.payload ?? '']).catch(() => {});
        const handle = Object.hasOwn(handlers, message.channel) ? handlers[message.channel] : undefined;
        if (!handle) return;
        const payload = message.payload ?? '';
        if (!payload.startsWith(PROBE)) handle(payload);
        else if (payload === probe?.token) probe.arrived();
      });
      for (const name of [...channels, BARRIERS]) await opened.query(`LISTEN ${name}`);
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
      // Named only now that it hears: a barrier (reachEveryInstance) counts the connections so named and waits for
      // each. Through a pooler in transaction mode the LISTEN went to a pooled server connection that hears for
      // nobody; named on connect, that connection would have been counted and waited for on every change.
      await opened.query('SELECT set_config($1, $2, false)', ['application_name', LISTENER_NAME]);
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

/**
 * Waits until every instance listening for notices has handled every notice committed before this call (a client
 * suspended, an account locked), so that whoever made the change can say it is in effect everywhere. An instance
 * that does not answer within timeoutMs is not waited for: Reach says how many did.
 */
export async function reachEveryInstance(database: Database, timeoutMs = BARRIER_MS): Promise<Reach> {
  const token = randomBytes(12).toString('base64url');
  if (database.pglite) {
    const pglite = database.pglite;
    const listening = pgliteListeners.get(pglite) ?? 0;
    if (listening === 0) return { listening, heard: 0 };
    let stop: (() => Promise<void>) | undefined;
    try {
      const heard = await answersTo(token, listening, timeoutMs, async (answered) => {
        stop = await pglite.listen(ANSWERS, answered);
        await pglite.query('SELECT pg_notify($1, $2)', [BARRIERS, token]);
      });
      return { listening, heard };
    } finally {
      await stop?.().catch(() => {});
    }
  }
  // Counted before the barrier goes out: an instance that starts listening after it has nothing stale to drop.
  const { rows } = await sql<{ listening: number }>`SELECT count(*)::int AS listening FROM pg_stat_activity WHERE application_name = ${LISTENER_NAME} AND datname = current_database()`.execute(database.db);
  const listening = rows[0]?.listening ?? 0;
  if (listening === 0) return { listening, heard: 0 };
  const client = await database.connect!();
  client.on('error', () => {});
  try {
    const heard = await answersTo(token, listening, timeoutMs, async (answered) => {
      client.on('notification', (message) => message.channel === ANSWERS && answered(message.payload ?? ''));
      await client.query(`LISTEN ${ANSWERS}`);
      await client.query('SELECT pg_notify($1, $2)', [BARRIERS, token]);
    });
    return { listening, heard };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Counts the answers carrying token until `expected` came or timeoutMs passed; ask() listens, then sends the barrier. */
async function answersTo(token: string, expected: number, timeoutMs: number, ask: (answered: (payload: string) => void) => Promise<void>): Promise<number> {
  let heard = 0;
  let timer: NodeJS.Timeout | undefined;
  const all = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    void ask((payload) => {
      if (payload === token && ++heard >= expected) resolve();
    }).catch(resolve);
  });
  await all;
  clearTimeout(timer);
  return heard;
}
