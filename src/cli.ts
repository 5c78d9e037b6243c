// Operator commands. `npm run cli -- <command>`; `npm run migrate` is `cli migrate`.
// Exit codes: 0 done (an import with rejected lines is done: the summary counts them), 1 failure, 2 usage.
// Modules are loaded per command: an import's process should not carry what only migrate needs.
import { createWriteStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { DatabaseInUseError } from './db/data-dir-lock.ts';
import { databaseProblem } from './db/wait.ts';
import type { ImportSummary } from './registry/import/importer.ts';
import { ImportError, formatOf, type Format } from './registry/import/readers.ts';
import { OFFICERS_USAGE, OfficerUsageError } from './admin/officer-cli.ts';
import { CLIENTS_USAGE, ClientsUsageError } from './clients/cli.ts';
import { KEYS_USAGE, KeysUsageError } from './oidc/keys-cli.ts';

const USAGE = `usage: npm run cli -- <command>

commands:
  migrate    apply pending database migrations (idempotent)
  import FILE [--format ndjson|csv] [--rejects PATH] [--batch N]
             load a population extract (NDJSON or CSV, by extension unless --format); new records are
             added, changed ones updated, the same file again changes nothing; rejected lines are listed
             in PATH (default FILE.rejects.ndjson); N records per transaction (1-20000, default 5000)
  backup FILE
             write a backup of the embedded database (DATA_DIR) to FILE (a new file); refused while a
             provider or an import has the database open. PostgreSQL: pg_dump, see README
  restore FILE
             replace the embedded database with the backup in FILE; the database it replaces is moved
             aside (its new name is printed), never deleted; refused while the database is open
  sandbox remove
             take the development sandbox out of this database: its client, officers and synthetic
             citizens with their accounts, sessions and tokens (production refuses to start until done)
  generate --count N [--seed S] [--format ndjson|csv] [--out PATH]
             write N synthetic population records (the same seed gives the same records); stdout
             unless --out
${OFFICERS_USAGE}${CLIENTS_USAGE}${KEYS_USAGE}`;

class UsageError extends Error {}

function options(argv: string[], spec: Record<string, { type: 'string' }>, positionals: number) {
  try {
    const parsed = parseArgs({ args: argv, options: spec, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length !== positionals) throw new UsageError(`expected ${positionals} argument(s), got ${parsed.positionals.length}`);
    return parsed;
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

function positiveInteger(name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = /^\d[\d_]*$/.test(value) ? Number(value.replaceAll('_', '')) : NaN;
  if (!Number.isSafeInteger(number) || number < 1 || number > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
  return number;
}

function format(path: string | undefined, explicit: string | undefined): Format {
  try {
    return formatOf(path ?? '', explicit);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function runMigrate(argv: string[]): Promise<number> {
  options(argv, {}, 0);
  const { databaseLocation, openDatabase } = await import('./db/database.ts');
  const { migrate } = await import('./db/migrator.ts');
  const database = await openDatabase(databaseLocation(loadConfig(process.env, { serving: false })));
  try {
    const result = await migrate(database);
    process.stdout.write(
      result.applied.length
        ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}\n`
        : `database is up to date (${result.alreadyApplied} migration(s) already applied)\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

async function runImport(argv: string[]): Promise<number> {
  const { values, positionals } = options(argv, { format: { type: 'string' }, rejects: { type: 'string' }, batch: { type: 'string' } }, 1);
  const path = positionals[0]!;
  // Two batches are alive at a time; larger ones would press against the import worker's heap cap.
  const batchSize = positiveInteger('batch', values.batch, 20_000);
  const settings = { format: format(path, values.format), rejectsPath: values.rejects ?? `${path}.rejects.ndjson`, ...(batchSize ? { batchSize } : {}) };
  await access(path, constants.R_OK).catch(() => {
    throw new ImportError(`cannot read ${path}`);
  });
  const { databaseLocation } = await import('./db/database.ts');
  const { importInWorker } = await import('./registry/import/worker.ts');
  const { progressDisplay } = await import('./registry/import/progress.ts');
  const display = progressDisplay(process.stderr);
  // A session of its own (advisory lock, temporary tables, SET): past PgBouncer when DIRECT_DATABASE_URL says how.
  const summary = await importInWorker({ location: databaseLocation(loadConfig(process.env, { serving: false }), { direct: true }), options: { path, ...settings } }, display.update).finally(display.done);
  process.stdout.write(await describeSummary(path, summary));
  return 0;
}

async function describeSummary(path: string, summary: ImportSummary): Promise<string> {
  const { describeCounts } = await import('./registry/import/progress.ts');
  const reasons = Object.entries(summary.reasons).sort(([, a], [, b]) => b - a);
  const peak = process.resourceUsage().maxRSS / 1024;
  return [
    `imported ${path} in ${(summary.elapsedMs / 1000).toFixed(1)} s: ${describeCounts(summary)}`,
    ...(reasons.length > 0 ? [`rejected lines by reason: ${reasons.map(([reason, n]) => `${reason} ${n}`).join(', ')}`] : []),
    `reject report: ${summary.rejectsPath}${summary.rejected === 0 ? ' (empty)' : ''}`,
    `peak memory: ${Math.round(peak)} MB`,
    '',
  ].join('\n');
}

async function runBackup(argv: string[]): Promise<number> {
  const file = options(argv, {}, 1).positionals[0]!;
  const dataDir = await embeddedDataDir('back up');
  const { backupEmbedded } = await import('./db/backup.ts');
  const result = await backupEmbedded(dataDir, file);
  process.stdout.write(`backed up the embedded database in ${dataDir} (${result.migrations} migration(s)) to ${file}: ${megabytes(result.bytes)}\n`);
  return 0;
}

async function runRestore(argv: string[]): Promise<number> {
  const file = options(argv, {}, 1).positionals[0]!;
  const dataDir = await embeddedDataDir('restore');
  const { restoreEmbedded } = await import('./db/backup.ts');
  const result = await restoreEmbedded(dataDir, file);
  process.stdout.write(
    [
      `restored ${file} (${result.migrations} migration(s)) into ${dataDir}`,
      result.movedAside
        ? `the database it replaced was moved to ${result.movedAside}; delete that directory once you no longer need it`
        : 'there was no database there before',
      'start the provider as usual: it applies any newer migrations',
      '',
    ].join('\n'),
  );
  return 0;
}

/** The embedded database's directory; backup and restore are for it alone. */
async function embeddedDataDir(verb: string): Promise<string> {
  const { BackupError } = await import('./db/backup.ts');
  const { databaseLocation } = await import('./db/database.ts');
  const location = databaseLocation(loadConfig(process.env, { serving: false }));
  if (location.engine === 'postgres') {
    throw new BackupError(`DATABASE_URL is set: this command is for the embedded database; ${verb} PostgreSQL with pg_dump -Fc / pg_restore (README, "Backups")`);
  }
  return location.dataDir!;
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function runGenerate(argv: string[]): Promise<number> {
  const { values } = options(argv, { count: { type: 'string' }, seed: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } }, 0);
  const count = positiveInteger('count', values.count, 100_000_000);
  if (count === undefined) throw new UsageError('--count is required');
  const { generateRecords, writeRecords } = await import('./registry/generate.ts');
  const records = generateRecords({ count, seed: values.seed ?? '1' });
  const as = format(values.out, values.format);
  if (values.out === undefined) {
    // A closed pipe (| head) just ends the output.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? 0 : 1));
    await writeRecords(records, as, process.stdout);
    return 0;
  }
  const out = createWriteStream(values.out);
  const written = await writeRecords(records, as, out);
  out.end();
  await finished(out);
  process.stderr.write(`wrote ${written} record(s) to ${values.out}\n`);
  return 0;
}

async function runSandbox(argv: string[]): Promise<number> {
  const { positionals } = options(argv, {}, 1);
  if (positionals[0] !== 'remove') throw new UsageError(`unknown sandbox action: ${positionals[0]}`);
  const { databaseLocation, openDatabase } = await import('./db/database.ts');
  const { migrate } = await import('./db/migrator.ts');
  const { removeSandbox } = await import('./sandbox/presence.ts');
  const { endAccountSessions } = await import('./oidc/grants.ts');
  const database = await openDatabase(databaseLocation(loadConfig(process.env, { serving: false })));
  try {
    await migrate(database);
    const removed = await removeSandbox(database.db, endAccountSessions);
    process.stdout.write(
      `sandbox removed: ${removed.officers} officer(s), ${removed.relyingParties} client(s), ${removed.citizens} synthetic citizen(s), ` +
        `${removed.accounts} account(s) and ${removed.applications} application(s) with them\n`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  try {
    switch (command) {
      case 'migrate':
        return await runMigrate(rest);
      case 'import':
        return await runImport(rest);
      case 'generate':
        return await runGenerate(rest);
      case 'backup':
        return await runBackup(rest);
      case 'restore':
        return await runRestore(rest);
      case 'sandbox':
        return await runSandbox(rest);
      case 'officers': {
        const { runOfficers } = await import('./admin/officer-cli.ts');
        return await runOfficers(rest, { stdin: process.stdin, out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
      }
      case 'clients': {
        const { runClients } = await import('./clients/cli.ts');
        return await runClients(rest, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
      }
      case 'keys': {
        const { runKeys } = await import('./oidc/keys-cli.ts');
        return await runKeys(rest, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
      }
      default:
        process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    // A count past what one seed can number (the generator names the limit) is the caller's to change.
    if (command === 'generate' && error instanceof RangeError) {
      process.stderr.write(`generate: ${error.message}\n`);
      return 2;
    }
    if (error instanceof UsageError || error instanceof OfficerUsageError || error instanceof ClientsUsageError || error instanceof KeysUsageError) {
      process.stderr.write(`${command}: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // BackupError by name: its module (and PGlite) loads only for backup and restore.
    const known = error instanceof ConfigError || error instanceof ImportError || error instanceof DatabaseInUseError || (error as Error).name === 'BackupError';
    // The database away or refusing (a wrong password, no such database): the operator's to fix, not a stack trace.
    const problem = known ? (error as Error).message : databaseProblem(error);
    process.stderr.write(`dinhdanh: ${problem ?? (error as Error).stack}\n`);
    process.exit(1);
  },
);
