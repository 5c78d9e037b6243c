// Writes a batch of validated records in one transaction: new records are appended in bulk, changed ones
// updated with their relatives and documents replaced, unchanged ones left alone (updated_at stays).
import type { RecordRows } from '../records.ts';
import type { ImportConnection } from './connection.ts';
import type { Reject } from './fields.ts';
import { canonicalRecord, CITIZEN_COLUMNS, loadExisting } from './existing.ts';
import { ImportError } from './readers.ts';
import { ADVISORY_LOCKS } from '../../db/locks.ts';
import { createDeferredTable, deferredLines, dropDeferredTable } from './deferred.ts';

export interface BatchItem {
  line: number;
  rows: RecordRows;
}
export interface LineReject extends Reject {
  line: number;
}
export interface BatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
  rejects: LineReject[];
}

const RELATIVE_COLUMNS = ['personal_id', 'relation', 'relative_personal_id', 'full_name', 'birth_year'] as const;
const LICENSE_COLUMNS = ['number', 'personal_id', 'classes', 'issued_on', 'expires_on'] as const;
const VEHICLE_COLUMNS = ['plate', 'personal_id', 'type', 'brand', 'registered_on'] as const;
const INSURANCE_COLUMNS = ['card_number', 'personal_id', 'clinic', 'valid_from', 'valid_to'] as const;

export interface TableRows {
  table: string;
  columns: readonly string[];
  /** A record's rows in this table, values in `columns` order. */
  rows(record: RecordRows): unknown[][];
}

/** Where a record goes, table by table, parents first. */
export const RECORD_TABLES: readonly TableRows[] = [
  { table: 'citizens', columns: CITIZEN_COLUMNS, rows: (r) => [CITIZEN_COLUMNS.map((c) => r.citizen[c])] },
  { table: 'citizen_relatives', columns: RELATIVE_COLUMNS, rows: (r) => r.relatives.map((x) => RELATIVE_COLUMNS.map((c) => x[c])) },
  { table: 'driver_licenses', columns: LICENSE_COLUMNS, rows: (r) => r.driverLicenses.map((x) => LICENSE_COLUMNS.map((c) => x[c])) },
  { table: 'vehicle_registrations', columns: VEHICLE_COLUMNS, rows: (r) => r.vehicles.map((x) => VEHICLE_COLUMNS.map((c) => x[c])) },
  { table: 'health_insurance_cards', columns: INSURANCE_COLUMNS, rows: (r) => (r.healthInsurance ? [INSURANCE_COLUMNS.map((c) => r.healthInsurance![c])] : []) },
];

// One import at a time per database: two would count each other's records as their own.
const IMPORT_LOCK = ADVISORY_LOCKS.import;

/** One import on its connection: when it started, by the database's clock. */
export interface ImportRun {
  connection: ImportConnection;
  startedAt: string;
  /** Records set aside so far to be tried again after the last batch (deferred.ts). */
  deferred: number;
}

/** Takes the import lock and prepares the connection; endImport undoes it. */
export async function beginImport(connection: ImportConnection): Promise<ImportRun> {
  const [lock] = await connection.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${IMPORT_LOCK}) AS locked`);
  if (!lock?.locked) throw new ImportError('another import is running on this database; try again when it has finished');
  try {
    // Each batch still commits atomically; a crash may lose the last few commits, and importing the file
    // again restores them. Not waiting for the WAL flush at every batch is what makes small batches cheap.
    await connection.query('SET synchronous_commit = off');
    // Numbers of records this run found already present, with their first line (see write below).
    await connection.query('DROP TABLE IF EXISTS pg_temp.import_seen');
    await connection.query('CREATE TEMP TABLE import_seen (personal_id text PRIMARY KEY, line bigint NOT NULL)');
    await createDeferredTable(connection);
    const [now] = await connection.query<{ now: string }>('SELECT now()::text AS now');
    return { connection, startedAt: now!.now, deferred: 0 };
  } catch (error) {
    await endImport({ connection, startedAt: '', deferred: 0 });
    throw error;
  }
}

export async function endImport({ connection }: ImportRun): Promise<void> {
  await connection.query('DROP TABLE IF EXISTS pg_temp.import_seen').catch(() => {});
  await dropDeferredTable(connection).catch(() => {});
  await connection.query('RESET synchronous_commit').catch(() => {});
  await connection.query(`SELECT pg_advisory_unlock(${IMPORT_LOCK})`).catch(() => {});
}

/** Items must carry distinct numbers (the importer sees to it within a batch). */
export async function writeBatch(run: ImportRun, items: readonly BatchItem[]): Promise<BatchResult> {
  const { connection } = run;
  await connection.query('BEGIN');
  try {
    const result = await write(run, items);
    await connection.query('COMMIT');
    return result;
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * A number on an earlier line of the file is refused, so a file never applies two versions of a record.
 * A record this run wrote carries updated_at >= startedAt (only one import runs at a time); a record it
 * found unchanged left no trace, so those numbers go to import_seen. New numbers, the bulk of a first
 * import, cost nothing extra.
 */
async function write(run: ImportRun, batch: readonly BatchItem[]): Promise<BatchResult> {
  const { connection } = run;
  const rejects: LineReject[] = [];
  let items = batch;
  if (run.deferred > 0) {
    // A number set aside on another line stays that line's (a retry finds its own line).
    const reserved = await deferredLines(connection, batch.map((item) => item.rows.citizen.personal_id));
    items = batch.filter((item) => {
      const line = reserved.get(item.rows.citizen.personal_id);
      if (line === undefined || line === item.line) return true;
      rejects.push(duplicate(item, line));
      return false;
    });
  }
  const existing = await loadExisting(connection, items.map((item) => item.rows.citizen.personal_id), run.startedAt);
  const candidates: BatchItem[] = [];
  const present: BatchItem[] = [];
  for (const item of items) {
    const before = existing.get(item.rows.citizen.personal_id);
    if (before === undefined) candidates.push(item);
    else if (before.writtenByThisRun) rejects.push(duplicate(item, undefined));
    else present.push(item);
  }
  if (present.length > 0) {
    const fresh = new Set(
      (
        await connection.query<{ personal_id: string }>(
          'INSERT INTO import_seen (personal_id, line) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING RETURNING personal_id',
          [present.map((item) => item.rows.citizen.personal_id), present.map((item) => item.line)],
        )
      ).map((row) => row.personal_id),
    );
    const repeated = present.filter((item) => !fresh.has(item.rows.citizen.personal_id));
    const first = repeated.length === 0 ? new Map<string, number>() : await firstLines(connection, repeated);
    for (const item of present) {
      if (fresh.has(item.rows.citizen.personal_id)) candidates.push(item);
      else rejects.push(duplicate(item, first.get(item.rows.citizen.personal_id)));
    }
  }

  const created: BatchItem[] = [];
  const changed: BatchItem[] = [];
  for (const item of candidates) {
    const before = existing.get(item.rows.citizen.personal_id);
    if (before === undefined) created.push(item);
    else if (before.canonical !== canonicalRecord(item.rows)) changed.push(item);
  }
  if (changed.length > 0) await replace(connection, changed);
  // New records get every row; changed ones keep their citizens row (updated above) and get the rest anew.
  for (const [index, { table, columns, rows }] of RECORD_TABLES.entries()) {
    const owners = index === 0 || changed.length === 0 ? created : [...created, ...changed];
    await connection.insertRows(table, columns, owners.flatMap((item) => rows(item.rows)));
  }
  return { inserted: created.length, updated: changed.length, unchanged: candidates.length - created.length - changed.length, rejects };
}

async function firstLines(connection: ImportConnection, items: readonly BatchItem[]): Promise<Map<string, number>> {
  const rows = await connection.query<{ personal_id: string; line: number }>('SELECT personal_id, line FROM import_seen WHERE personal_id = ANY($1::text[])', [
    items.map((item) => item.rows.citizen.personal_id),
  ]);
  return new Map(rows.map((row) => [row.personal_id, Number(row.line)]));
}

const duplicate = (item: BatchItem, firstLine: number | undefined): LineReject => ({
  line: item.line,
  ...duplicateOf(firstLine),
  personalId: item.rows.citizen.personal_id,
});

export function duplicateOf(firstLine: number | undefined): Reject {
  return { reason: 'duplicate_personal_id', message: `the same personal ID is on an earlier line of this file${firstLine ? ` (line ${firstLine})` : ''}` };
}

/** Changed records: new values, updated_at moves, relatives and documents deleted (the file's are inserted next). */
async function replace(connection: ImportConnection, changed: readonly BatchItem[]): Promise<void> {
  const assignments = CITIZEN_COLUMNS.filter((c) => c !== 'personal_id').map((c) => `${c} = j.${c}`).join(', ');
  await connection.query(
    `UPDATE citizens AS c SET ${assignments}, updated_at = now() FROM json_populate_recordset(null::citizens, $1::json) AS j WHERE c.personal_id = j.personal_id`,
    [JSON.stringify(changed.map(({ rows }) => rows.citizen))],
  );
  const ids = changed.map(({ rows }) => rows.citizen.personal_id);
  for (const { table } of RECORD_TABLES.slice(1)) await connection.query(`DELETE FROM ${table} WHERE personal_id = ANY($1::text[])`, [ids]);
}

/**
 * A database error that is about this record's data (SQLSTATE classes 22 and 23) becomes a reject; any other
 * error (connection lost, disk full) is not the record's fault and stops the import. Class 22 messages quote
 * the offending value, so only the code is kept.
 */
export function databaseRefusal(error: unknown): Reject | null {
  const { code, constraint, message } = error as { code?: unknown; constraint?: unknown; message?: unknown };
  if (typeof code !== 'string' || !/^2[23]/.test(code)) return null;
  const name = typeof constraint === 'string' && constraint !== '' ? constraint : code;
  if (code === '23505') {
    return { reason: `already_taken:${name}`, message: 'a number in this record (licence, plate, card or social insurance number) already belongs to another citizen' };
  }
  if (code.startsWith('22')) return { reason: `refused_by_database:${code}`, message: 'the database refused a value of this record' };
  return { reason: `refused_by_database:${name}`, message: `the database refused the record: ${String(message)}` };
}
