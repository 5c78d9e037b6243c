// One dedicated connection for an import: its own transactions, a session-scoped table of the numbers seen,
// and bulk row inserts (COPY on PostgreSQL, one JSON parameter on PGlite, which has no COPY from a client).
import { pipeline } from 'node:stream/promises';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database, DatabaseLocation } from '../../db/database.ts';

export interface ImportConnection {
  readonly engine: 'postgres' | 'pglite';
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Appends rows (values in `columns` order) to a table; a refused row fails the whole statement. */
  insertRows(table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>): Promise<void>;
}

const DATE_OID = 1082;
const INT8_OID = 20;

/** Runs fn on a connection of its own: a new client on PostgreSQL, the single PGlite connection otherwise. */
export async function withImportConnection<T>(
  database: Database,
  location: DatabaseLocation,
  fn: (connection: ImportConnection) => Promise<T>,
): Promise<T> {
  if (location.engine === 'pglite') return database.db.connection().execute((db) => fn(pgliteConnection((compiled) => db.executeQuery(compiled))));
  // Dates stay 'YYYY-MM-DD' strings, as everywhere else (src/db/database.ts).
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === DATE_OID) return (value: string) => value;
      if (oid === INT8_OID) return Number;
      return pg.types.getTypeParser(oid, format as 'text');
    }) as typeof pg.types.getTypeParser,
  };
  const client = new pg.Client({ connectionString: location.url, types });
  client.on('error', () => {}); // a dropped connection fails the next query, which reports it
  await client.connect();
  try {
    return await fn(postgresConnection(client));
  } finally {
    await client.end().catch(() => {});
  }
}

function postgresConnection(client: pg.Client): ImportConnection {
  return {
    engine: 'postgres',
    query: async <R>(text: string, params: readonly unknown[] = []) => (await client.query(text, params as unknown[])).rows as R[],
    async insertRows(table, columns, rows) {
      if (rows.length === 0) return;
      await pipeline([copyText(rows)], client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
    },
  };
}

function pgliteConnection(execute: (compiled: CompiledQuery) => Promise<{ rows: unknown[] }>): ImportConnection {
  const query = async <R>(text: string, params: readonly unknown[] = []) => (await execute(CompiledQuery.raw(text, [...params]))).rows as R[];
  return {
    engine: 'pglite',
    query,
    async insertRows(table, columns, rows) {
      if (rows.length === 0) return;
      const objects = rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
      await query(`INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM json_populate_recordset(null::${table}, $1::json)`, [JSON.stringify(objects)]);
    },
  };
}

// COPY text format: tab-separated, \N for null; backslash, tab, newline and carriage return escaped. Written
// straight into a buffer: formatting millions of rows as strings first would be most of an import's garbage.
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES = /[\\\t\n\r]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const escape = (text: string) => (NEEDS_ESCAPE.test(text) ? text.replace(ESCAPES, (c) => ESCAPED[c]!) : text);
const TAB = 9;
const NEWLINE = 10;
const NULL = '\\N';

/** Rows (values in column order) as COPY text. */
export function copyText(rows: ReadonlyArray<readonly unknown[]>): Buffer {
  let buffer = Buffer.allocUnsafe(64 * 1024);
  let at = 0;
  const room = (bytes: number) => {
    if (at + bytes <= buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(buffer.length * 2, at + bytes));
    buffer.copy(bigger, 0, 0, at);
    buffer = bigger;
  };
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  const put = (text: string) => {
    room(text.length * 3);
    at += buffer.write(text, at);
  };
  const byte = (value: number) => {
    room(1);
    buffer[at++] = value;
  };
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      if (i > 0) byte(TAB);
      const value = row[i];
      if (value === null || value === undefined) put(NULL);
      else if (Array.isArray(value)) put(escape(`{${value.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`));
      else put(typeof value === 'string' ? escape(value) : String(value));
    }
    byte(NEWLINE);
  }
  return buffer.subarray(0, at);
}
