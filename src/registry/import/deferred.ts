// Records the database refused because one of their numbers (plate, licence, card, social insurance code)
// belonged to another citizen at that moment. That citizen may be a later line of the same file, which moves
// the number elsewhere: so the import tries these records again after its last batch, until a pass changes
// nothing. The outcome then depends neither on the order of the lines nor on batch boundaries, and importing
// the same file again finds nothing left to do. They wait in a temporary table, so memory stays bounded.
import type { RecordRows } from '../records.ts';
import type { ImportConnection } from './connection.ts';
import type { Reject } from './fields.ts';
import type { BatchItem, LineReject } from './store.ts';

/** Refusals that another record of the same file may lift. */
export const isDeferrable = (reject: Reject): boolean => reject.reason.startsWith('already_taken:');

export async function createDeferredTable(connection: ImportConnection): Promise<void> {
  await connection.query('DROP TABLE IF EXISTS pg_temp.import_deferred');
  await connection.query(
    'CREATE TEMP TABLE import_deferred (line bigint PRIMARY KEY, personal_id text NOT NULL UNIQUE, rows text NOT NULL, reason text NOT NULL, message text NOT NULL)',
  );
}

export async function dropDeferredTable(connection: ImportConnection): Promise<void> {
  await connection.query('DROP TABLE IF EXISTS pg_temp.import_deferred');
}

export interface Deferred {
  item: BatchItem;
  reject: LineReject;
}

export async function defer(connection: ImportConnection, deferred: readonly Deferred[]): Promise<void> {
  if (deferred.length === 0) return;
  await connection.query(
    'INSERT INTO import_deferred (line, personal_id, rows, reason, message) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])',
    [
      deferred.map((d) => d.item.line),
      deferred.map((d) => d.item.rows.citizen.personal_id),
      deferred.map((d) => JSON.stringify(d.item.rows)),
      deferred.map((d) => d.reject.reason),
      deferred.map((d) => d.reject.message),
    ],
  );
}

/**
 * The line each of these numbers was deferred from. A deferred record keeps its number: a later line with the
 * same number is refused as a duplicate, as it would be had the record gone in at once.
 */
export async function deferredLines(connection: ImportConnection, ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await connection.query<{ personal_id: string; line: string | number }>(
    'SELECT personal_id, line FROM import_deferred WHERE personal_id = ANY($1::text[])',
    [ids],
  );
  return new Map(rows.map((row) => [row.personal_id, Number(row.line)]));
}

/** Up to `limit` deferred records after `afterLine`, in line order. */
export async function deferredPage(connection: ImportConnection, afterLine: number, limit: number): Promise<Deferred[]> {
  const rows = await connection.query<{ line: string | number; personal_id: string; rows: string; reason: string; message: string }>(
    'SELECT line, personal_id, rows, reason, message FROM import_deferred WHERE line > $1 ORDER BY line LIMIT $2',
    [afterLine, limit],
  );
  return rows.map((row) => {
    const line = Number(row.line);
    return { item: { line, rows: JSON.parse(row.rows) as RecordRows }, reject: { line, reason: row.reason, message: row.message, personalId: row.personal_id } };
  });
}

/** Forgets records that are settled (written, or refused for good); the others keep their latest refusal. */
export async function settle(connection: ImportConnection, settledLines: readonly number[], refusedAgain: readonly LineReject[]): Promise<void> {
  if (settledLines.length > 0) await connection.query('DELETE FROM import_deferred WHERE line = ANY($1::bigint[])', [settledLines]);
  if (refusedAgain.length > 0) {
    await connection.query(
      'UPDATE import_deferred AS d SET reason = r.reason, message = r.message FROM unnest($1::bigint[], $2::text[], $3::text[]) AS r (line, reason, message) WHERE d.line = r.line',
      [refusedAgain.map((r) => r.line), refusedAgain.map((r) => r.reason), refusedAgain.map((r) => r.message)],
    );
  }
}
