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
      let text = '';
      for (const row of rows) text += copyLine(row);
      await pipeline([text], client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
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

// COPY text format: \N is null; backslash, tab, newline and carriage return are escaped.
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One row in COPY's text format. */
export function copyLine(values: readonly unknown[]): string {
  return `${values.map(copyValue).join('\t')}\n`;
}

function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (Array.isArray(value)) return copyText(`{${value.map((v) => `"${String(v).replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
  return copyText(String(value));
}

function copyText(text: string): string {
  return COPY_SPECIAL.test(text) ? text.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c]!) : text;
}
