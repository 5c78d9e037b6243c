// Entry point of the import worker (worker.ts starts it): open the database, migrate, import, report.
import { parentPort, workerData } from 'node:worker_threads';
import { DatabaseInUseError } from '../../db/data-dir-lock.ts';
import { openDatabase, type Database } from '../../db/database.ts';
import { databaseProblem } from '../../db/wait.ts';
import { migrate } from '../../db/migrator.ts';
import { importExtract } from './importer.ts';
import { ImportError } from './readers.ts';
import type { ImportJob, WorkerMessage } from './worker.ts';

const job = workerData as ImportJob;
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
let database: Database | undefined;
let outcome: WorkerMessage;
try {
  database = await openDatabase(job.location);
  await migrate(database);
  outcome = { done: await importExtract(database, job.location, { ...job.options, onProgress: (progress) => post({ progress }) }) };
} catch (error) {
  const { message, stack } = error as Error;
  // A database held by another process, away or refusing (no such database, a wrong password) is the operator's
  // to resolve, like a bad extract: one line, no stack trace. Read here, where the error still has its code.
  const problem = databaseProblem(error);
  outcome = { failed: { message: problem ?? String(message), stack, operatorsToFix: problem !== undefined || error instanceof ImportError || error instanceof DatabaseInUseError } };
}
// Closed before the outcome goes out: the CLI exits on it, and the embedded database writes the import's last
// commits (synchronous_commit is off) only when it closes. Reporting first lost whole imports.
await database?.close();
post(outcome);
