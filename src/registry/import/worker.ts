// The import as the CLI runs it: in a worker thread with a capped heap. The import keeps little alive (two
// batches) but allocates fast, and V8 would otherwise let the heap grow to several times what is live; the
// cap keeps an import of any size within a known footprint (bench/README.md has the figures).
import { Worker } from 'node:worker_threads';
import type { DatabaseLocation } from '../../db/database.ts';
import type { ImportOptions, ImportSummary } from './importer.ts';
import type { ImportCounts } from './progress.ts';
import { ImportError } from './readers.ts';

export const IMPORT_HEAP_LIMITS = { maxYoungGenerationSizeMb: 32, maxOldGenerationSizeMb: 192 };

export interface ImportJob {
  location: DatabaseLocation;
  options: Omit<ImportOptions, 'onProgress'>;
}

export type WorkerMessage =
  | { progress: ImportCounts }
  | { done: ImportSummary }
  | { failed: { message: string; stack?: string; operatorsToFix: boolean } };

/** Migrates and imports in a worker; progress arrives through onProgress. Rejects with the worker's error. */
export function importInWorker(job: ImportJob, onProgress?: (counts: ImportCounts) => void): Promise<ImportSummary> {
  const worker = new Worker(new URL('./worker-main.ts', import.meta.url), { workerData: job, resourceLimits: IMPORT_HEAP_LIMITS });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    worker.on('message', (message: WorkerMessage) => {
      if ('progress' in message) onProgress?.(message.progress);
      else if ('done' in message) settle(() => resolve(message.done));
      else {
        const error = message.failed.operatorsToFix ? new ImportError(message.failed.message) : Object.assign(new Error(message.failed.message), { stack: message.failed.stack });
        settle(() => reject(error));
      }
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the import worker stopped (exit code ${code}) before finishing`))));
  });
}
