// Imports a population extract: reads it line by line, validates each record, writes batches (the next one
// is read and checked while the previous one is written), reports every rejected line, and counts.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database, DatabaseLocation } from '../../db/database.ts';
import { validateRecord } from '../records.ts';
import { withImportConnection, type ImportConnection } from './connection.ts';
import type { ImportCounts } from './progress.ts';
import { readExtract, type Format } from './readers.ts';
import { openRejectReport, type RejectReport } from './rejects.ts';
import { defer, deferredPage, isDeferrable, settle, type Deferred } from './deferred.ts';
import { beginImport, databaseRefusal, duplicateOf, endImport, writeBatch, type BatchItem, type BatchResult, type ImportRun, type LineReject } from './store.ts';

export const DEFAULT_BATCH_SIZE = 5_000;

export interface ImportOptions {
  path: string;
  format: Format;
  rejectsPath: string;
  batchSize?: number;
  /** YYYY-MM-DD; a birthdate after it is refused. Defaults to the current UTC date. */
  today?: string;
  /** Called after each batch is written. */
  onProgress?: (counts: ImportCounts) => void;
}

export interface ImportSummary extends ImportCounts {
  /** Rejected lines per reason code. */
  reasons: Record<string, number>;
  rejectsPath: string;
}

/** Imports on a connection of its own (see connection.ts). */
export function importExtract(database: Database, location: DatabaseLocation, options: ImportOptions): Promise<ImportSummary> {
  return withImportConnection(database, location, (connection) => importOn(connection, options));
}

export async function importOn(connection: ImportConnection, options: ImportOptions): Promise<ImportSummary> {
  const run = await beginImport(connection);
  try {
    const report = await openRejectReport(options.rejectsPath);
    try {
      return await importLines(run, report, options);
    } finally {
      await report.close();
    }
  } finally {
    await endImport(run);
  }
}

async function importLines(run: ImportRun, report: RejectReport, options: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const counts: ImportCounts = { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, elapsedMs: 0 };
  const reasons: Record<string, number> = {};
  const reject = (r: LineReject) => {
    counts.rejected += 1;
    reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
    return report.add(r);
  };
  const add = (result: BatchResult) => {
    counts.inserted += result.inserted;
    counts.updated += result.updated;
    counts.unchanged += result.unchanged;
  };
  const progress = () => {
    counts.elapsedMs = performance.now() - started;
    options.onProgress?.({ ...counts });
  };
  const flush = async (items: BatchItem[]) => {
    const result = await writeOrFallback(run, items);
    add(result);
    const byLine = new Map(items.map((item) => [item.line, item]));
    const later: Deferred[] = [];
    for (const r of result.rejects) {
      if (isDeferrable(r)) later.push({ item: byLine.get(r.line)!, reject: r });
      else await reject(r);
    }
    await defer(run.connection, later);
    run.deferred += later.length;
    progress();
  };
  /** Passes over the deferred records, in line order, until one writes none of them; the rest are rejected. */
  const retryDeferred = async () => {
    for (let written = run.deferred > 0; written; ) {
      written = false;
      for (let after = 0; ; ) {
        const page = await deferredPage(run.connection, after, batchSize);
        if (page.length === 0) break;
        after = page[page.length - 1]!.item.line;
        const result = await writeOrFallback(run, page.map((d) => d.item));
        add(result);
        const refused = new Map(result.rejects.map((r) => [r.line, r]));
        const final = result.rejects.filter((r) => !isDeferrable(r));
        for (const r of final) await reject(r);
        written ||= refused.size < page.length;
        await settle(run.connection, [...page.map((d) => d.item.line).filter((line) => !refused.has(line)), ...final.map((r) => r.line)], result.rejects.filter(isDeferrable));
        progress();
      }
    }
    for (let after = 0; ; ) {
      const page = await deferredPage(run.connection, after, batchSize);
      if (page.length === 0) break;
      after = page[page.length - 1]!.item.line;
      for (const d of page) await reject(d.reject);
    }
  };

  let writing: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  try {
    let batch: BatchItem[] = [];
    let lineOf = new Map<string, number>(); // numbers in the batch being filled
    for await (const chunk of readExtract(options.path, options.format)) {
      for (const item of chunk) {
        counts.read += 1;
        // Let the database's replies in now and then, so the batch being written never waits for parsing.
        if (counts.read % 64 === 0) await nextTurn();
        let wait: Promise<void> | undefined;
        if ('reject' in item) wait = reject({ line: item.line, ...item.reject });
        else {
          const validation = validateRecord(item.input, today);
          if (!validation.ok) wait = reject({ line: item.line, ...validation.reject });
          else {
            const id = validation.rows.citizen.personal_id;
            const earlier = lineOf.get(id);
            if (earlier !== undefined) wait = reject({ line: item.line, ...duplicateOf(earlier), personalId: id });
            else {
              lineOf.set(id, item.line);
              batch.push({ line: item.line, rows: validation.rows });
            }
          }
        }
        if (wait) await wait;
        if (batch.length >= batchSize) {
          // At most one batch in the database and one being filled: memory stays bounded whatever the file.
          await writing;
          if (failure) throw failure.error;
          writing = flush(batch).catch((error: unknown) => void (failure = { error }));
          batch = [];
          lineOf = new Map();
        }
      }
    }
    await writing;
    if (failure) throw failure.error;
    if (batch.length > 0) await flush(batch);
    await retryDeferred();
  } finally {
    await writing; // never rejects (see the catch above): the connection must be idle before it is released
  }
  counts.elapsedMs = performance.now() - started;
  return { ...counts, reasons, rejectsPath: options.rejectsPath };
}

/** A batch the database refuses is retried record by record, so only the offending records are rejected. */
async function writeOrFallback(run: ImportRun, items: BatchItem[]): Promise<BatchResult> {
  try {
    return await writeBatch(run, items);
  } catch (error) {
    const refusal = databaseRefusal(error);
    if (refusal === null) throw error;
    if (items.length === 1) {
      const [item] = items as [BatchItem];
      return { inserted: 0, updated: 0, unchanged: 0, rejects: [{ line: item.line, ...refusal, personalId: item.rows.citizen.personal_id }] };
    }
    const total: BatchResult = { inserted: 0, updated: 0, unchanged: 0, rejects: [] };
    for (const item of items) {
      const result = await writeOrFallback(run, [item]);
      total.inserted += result.inserted;
      total.updated += result.updated;
      total.unchanged += result.unchanged;
      total.rejects.push(...result.rejects);
    }
    return total;
  }
}
