// Operator commands. `npm run cli -- <command>`; `npm run migrate` is `cli migrate`.
// Exit codes: 0 done (an import with rejected lines is done: the summary counts them), 1 failure, 2 usage.
// Modules are loaded per command: an import's process should not carry what only migrate needs.
import { createWriteStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import type { ImportSummary } from './registry/import/importer.ts';
import { ImportError, formatOf, type Format } from './registry/import/readers.ts';
import { OFFICERS_USAGE, OfficerUsageError } from './admin/officer-cli.ts';

const USAGE = `usage: npm run cli -- <command>

commands:
  migrate    apply pending database migrations (idempotent)
  import FILE [--format ndjson|csv] [--rejects PATH] [--batch N]
             load a population extract (NDJSON or CSV, by extension unless --format); new records are
             added, changed ones updated, the same file again changes nothing; rejected lines are listed
             in PATH (default FILE.rejects.ndjson); N records per transaction (1-20000, default 5000)
  generate --count N [--seed S] [--format ndjson|csv] [--out PATH]
             write N synthetic population records (the same seed gives the same records); stdout
             unless --out
${OFFICERS_USAGE}`;

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

async function runMigrate(): Promise<number> {
  const { databaseLocation, openDatabase } = await import('./db/database.ts');
  const { migrate } = await import('./db/migrator.ts');
  const database = await openDatabase(databaseLocation(loadConfig()));
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
  const summary = await importInWorker({ location: databaseLocation(loadConfig()), options: { path, ...settings } }, display.update).finally(display.done);
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

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  try {
    switch (command) {
      case 'migrate':
        return await runMigrate();
      case 'import':
        return await runImport(rest);
      case 'generate':
        return await runGenerate(rest);
      case 'officers': {
        const { runOfficers } = await import('./admin/officer-cli.ts');
        return await runOfficers(rest, { stdin: process.stdin, out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
      }
      default:
        process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof OfficerUsageError) {
      process.stderr.write(`${command}: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof ImportError;
    process.stderr.write(`dinhdanh: ${known ? (error as Error).message : (error as Error).stack}\n`);
    process.exit(1);
  },
);
