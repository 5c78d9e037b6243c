// One Kysely layer over PostgreSQL (pg pool) or the embedded PGlite (file-backed, or in memory for tests).
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.ts';
import type { Schema } from './schema.ts';

/** A single connection on which multi-statement SQL (migration files) can run. */
export interface SqlSession {
  exec(text: string): Promise<void>;
  rows<T>(text: string): Promise<T[]>;
}

export interface Database {
  db: Kysely<Schema>;
  engine: 'postgres' | 'pglite';
  /** Runs fn on one dedicated connection (advisory locks and multi-statement scripts need that). */
  session<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PostgreSQL: a new connection outside the pool, for what lives on one session (LISTEN, a leader's lock). */
  connect?: () => Promise<pg.Client>;
  /** PGlite: the one in-process connection, whose LISTEN/NOTIFY the process's other parts share. */
  pglite?: PGlite;
  /** The pg pool's connections right now (metrics); absent for PGlite, one connection in this process. */
  poolUse?(): PoolUse;
}

export interface PoolUse {
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  max: number;
}

export type DatabaseLocation =
  | {
      engine: 'postgres';
      url: string;
      poolSize?: number;
      /** For connect(): the same database past any pooler (LISTEN, session locks). */
      sessionUrl?: string;
      /** Prepared queries kept by name on each connection (default true); off for poolers that cannot keep them. */
      namedStatements?: boolean;
    }
  | { engine: 'pglite'; dataDir?: string /* absent: in memory */ };

const DATE_OID = 1082;
const INT8_OID = 20;
// Dates stay 'YYYY-MM-DD' strings (a birthdate has no time zone); bigint counts become numbers.
const keepDate = (value: string) => value;
const int8 = (value: string) => Number(value);

/** `warn` tells the operator what the pool had to change (the provider's log; a process warning by default). */
export async function openDatabase(location: DatabaseLocation, options: { warn?: (message: string) => void } = {}): Promise<Database> {
  return location.engine === 'postgres'
    ? openPostgres(
        location.url,
        { on: location.namedStatements ?? true, nameOf: statementNames(), warn: options.warn ?? ((message) => process.emitWarning(message)) },
        location.poolSize,
        location.sessionUrl,
      )
    : openPglite(location.dataDir);
}

const CONNECT_TIMEOUT_MS = 3000;

// Two habits of the pool that would make requests' objects outlive them, each promoted to the old generation by
// young-generation GCs and freed only by a full GC (tens of milliseconds of stalled answers every few seconds
// under load; test/integration/old-generation.test.ts):
// - Timers and sockets capture the async context they are made in: a connection released (or opened) inside a
//   request would keep that request's whole context alive in its idle timer or socket until its next use. The
//   pool is worked from the context this module loaded in; an awaiting caller still resumes in its own.
// - pg's promise form stores a fresh callback on each query after constructing it, and V8 then carries the
//   query, its rows and what they reach through young collections. Handed the callback up front, it does not.
const outsideAnyRequest = AsyncLocalStorage.snapshot();

async function checkOut(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await outsideAnyRequest(() => pool.connect());
  const release = client.release;
  client.release = (error?: Error | boolean) => outsideAnyRequest(() => release(error));
  return client;
}

type Query = (config: unknown, values?: unknown, callback?: unknown) => unknown;

// Statements PostgreSQL keeps by name on each connection: parsed and planned once per connection instead of on
// every run, which took two thirds of the database's CPU for the provider's hot queries (a token read with its
// grant and session, an upsert: 210 against 60 µs each). A text with values is named the second time it runs, so
// that one-off SQL never is; at most MOST_NAMED texts per process, which bounds what each connection keeps. The
// name is the text's hash: one name always means one text, in every instance and every version.
const MOST_NAMED = 200;
// Texts seen once, remembered until a second run names them: at most this many at a time.
const MOST_COUNTED = 1_000;
// A query's own values, not a batch's: multi-row inserts (the population import's chunks) differ in text with
// every batch size and would take names the hot queries need.
const MOST_VALUES = 16;

function statementNames(): Naming['nameOf'] {
  const names = new Map<string, string | undefined>();
  const seen = new Set<string>();
  return (text, never = false) => {
    // A text whose kept plan no longer fits its tables (a migration changed what `select *` returns) stays unnamed.
    if (never) return void names.set(text, undefined);
    if (names.has(text) || names.size >= MOST_NAMED) return names.get(text);
    if (!seen.has(text)) {
      if (seen.size >= MOST_COUNTED) seen.clear();
      seen.add(text);
      return undefined;
    }
    seen.delete(text);
    const named = `dinhdanh_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    names.set(text, named);
    return named;
  };
}

// A named statement the connection's server does not have (26000), or has already under that name (42P05): a
// transaction-mode pooler older than PgBouncer 1.21 hands each statement to any server connection. Names then
// stop for the whole pool and the query runs again unnamed (inside a transaction, that transaction fails once).
const LOST_STATEMENT = new Set(['26000', '42P05']);

interface Naming {
  on: boolean;
  /** The name to run `text` under, if any; with `never`, the text runs unnamed from now on. */
  nameOf: (text: string, never?: boolean) => string | undefined;
  warn: (message: string) => void;
}

/**
 * The client's promise form (text and values, no callback) made through its callback form, once per connection;
 * statements that come back go by their name while `naming` is on.
 */
function queryWithCallback(client: pg.Client, naming: Naming) {
  const query = (client.query as Query).bind(client);
  const promised = (config: unknown, values: unknown) =>
    new Promise((resolve, reject) => void query(config, values, (error: Error | null, result: unknown) => (error ? reject(error) : resolve(result))));
  (client as { query: Query }).query = (config, values, callback) => {
    if (callback !== undefined || typeof values === 'function' || typeof (config as { submit?: unknown }).submit === 'function') return query(config, values, callback);
    const name = naming.on && typeof config === 'string' && Array.isArray(values) && values.length > 0 && values.length <= MOST_VALUES ? naming.nameOf(config) : undefined;
    const answer = name
      ? promised({ name, text: config, values }, undefined).catch((error: unknown) => {
          const { code, message } = error as { code?: string; message?: string };
          if (code === '0A000' && message?.includes('cached plan')) {
            naming.nameOf(config as string, true);
            return promised(config, values);
          }
          if (!LOST_STATEMENT.has(code ?? '')) throw error;
          if (naming.on) {
            naming.on = false;
            naming.warn('named prepared statements do not survive this connection pooler: running every query unnamed (set DATABASE_NAMED_STATEMENTS=false behind PgBouncer before 1.21 in transaction mode)');
          }
          return promised(config, values);
        })
      : promised(config, values);
    return answer.catch((error: unknown) => {
      // As pg's promise form does: a stack that leads back to the caller, not to the socket read.
      if (error instanceof Error) Error.captureStackTrace(error);
      throw error;
    });
  };
}

async function openPostgres(url: string, naming: Naming, poolSize = 10, sessionUrl = url): Promise<Database> {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === DATE_OID) return keepDate;
      if (oid === INT8_OID) return int8;
      return pg.types.getTypeParser(oid, format as 'text');
    }) as typeof pg.types.getTypeParser,
  };
  // A bounded wait for a connection: while the server is down or restarting, callers get an error they can
  // answer with 503 instead of waiting forever. keepAlive notices a server that vanished without a word.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
  // A connection error (the server restarting: 57P01, "Connection terminated unexpectedly") must never crash the
  // process. The pool's 'error' covers idle clients only; a checked-out client needs its own listener. The query
  // in flight rejects with the same error, and the pool drops the broken client when it is released.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    queryWithCallback(client, naming);
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: { options: pool.options, connect: () => checkOut(pool), end: () => pool.end() } }) });
  return {
    db,
    engine: 'postgres',
    async session(fn) {
      const client = await checkOut(pool);
      try {
        return await fn({
          exec: async (text) => void (await client.query(text)),
          rows: async <T>(text: string) => (await client.query(text)).rows as T[],
        });
      } finally {
        client.release();
      }
    },
    close: () => db.destroy(),
    poolUse: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: poolSize }),
    async connect() {
      const client = new pg.Client({ connectionString: sessionUrl, types, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
      await client.connect();
      return client;
    },
  };
}

async function openPglite(dataDir?: string): Promise<Database> {
  // A data directory is one process's for as long as it is open (data-dir-lock.ts says why).
  const lock = dataDir ? lockDataDir(dataDir) : undefined;
  let pglite: PGlite;
  try {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    pglite = await PGlite.create(dataDir, { parsers: { [DATE_OID]: keepDate, [INT8_OID]: int8 } });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = new Kysely<Schema>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    engine: 'pglite',
    pglite,
    // PGlite is a single connection in this process: every caller already has it to itself.
    async session(fn) {
      return fn({
        exec: async (text) => void (await pglite.exec(text)),
        rows: async <T>(text: string) => (await pglite.query<T>(text)).rows,
      });
    },
    async close() {
      try {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/** How the sandbox banner names the database. */
export function databaseLabel(config: { databaseUrl: string | undefined; dataDir: string }): string {
  const location = databaseLocation(config);
  return location.engine === 'postgres' ? 'PostgreSQL' : `embedded PGlite in ${location.dataDir}`;
}

/**
 * direct: for work that needs a session of its own (the import), DIRECT_DATABASE_URL when set, past PgBouncer.
 * LISTEN and the background jobs' leader lock also need a session: they connect to DIRECT_DATABASE_URL too.
 */
export function databaseLocation(
  config: { databaseUrl: string | undefined; directDatabaseUrl?: string | undefined; databaseNamedStatements?: boolean; databasePoolSize?: number; dataDir: string },
  options: { direct?: boolean } = {},
): DatabaseLocation {
  const url = options.direct ? (config.directDatabaseUrl ?? config.databaseUrl) : config.databaseUrl;
  // Past the pooler (direct), statements can always be kept by name.
  const namedStatements = options.direct && config.directDatabaseUrl ? true : (config.databaseNamedStatements ?? true);
  return url
    ? {
        engine: 'postgres',
        url,
        namedStatements,
        ...(config.databasePoolSize ? { poolSize: config.databasePoolSize } : {}),
        ...(config.directDatabaseUrl ? { sessionUrl: config.directDatabaseUrl } : {}),
      }
    : { engine: 'pglite', dataDir: `${config.dataDir.replace(/\/$/, '')}/pglite` };
}
