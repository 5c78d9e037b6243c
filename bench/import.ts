// Import throughput against the ceiling: the same generated records, (1) COPYed raw into tables of the
// same shape (columns, checks, indexes, foreign keys) and (2) imported by `npm run cli -- import` in its own
// process, exactly as an operator runs it (peak RSS from its summary), into the same database in the same run.
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createScratchDatabase, type ScratchDatabase } from '../src/db/scratch.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrator.ts';
import { generateRecords } from '../src/registry/generate.ts';
import { copyText } from '../src/registry/import/connection.ts';
import { RECORD_TABLES } from '../src/registry/import/store.ts';
import { validateRecord } from '../src/registry/records.ts';

/** A database of its own under the server at adminUrl, migrated; drop() removes it. */
export async function createBenchDatabase(adminUrl: string): Promise<ScratchDatabase> {
  const scratch = await createScratchDatabase(adminUrl, 'dinhdanh_bench');
  const database = await openDatabase({ engine: 'postgres', url: scratch.url });
  await migrate(database);
  await database.close();
  return scratch;
}

const raw = (table: string) => `bench_raw_${table}`;

/** Writes the NDJSON extract and, from the same records, one COPY file per table. */
export async function writeInputs(dir: string, count: number, seed: string) {
  const ndjson = createWriteStream(join(dir, 'records.ndjson'));
  const copies = RECORD_TABLES.map(({ table }) => createWriteStream(join(dir, `${table}.copy`)));
  const today = new Date().toISOString().slice(0, 10);
  const write = async (stream: NodeJS.WritableStream, text: string | Buffer) => void (stream.write(text) || (await once(stream, 'drain')));
  let chunk = '';
  let pending: unknown[][][] = RECORD_TABLES.map(() => []);
  const flush = async () => {
    await write(ndjson, chunk);
    chunk = '';
    for (const [i, stream] of copies.entries()) await write(stream, copyText(pending[i]!));
    pending = RECORD_TABLES.map(() => []);
  };
  let n = 0;
  for (const record of generateRecords({ count, seed })) {
    chunk += `${JSON.stringify(record)}\n`;
    const validation = validateRecord(record, today);
    if (!validation.ok) throw new Error(`generated record refused: ${validation.reject.reason}`);
    for (const [i, { rows }] of RECORD_TABLES.entries()) pending[i]!.push(...rows(validation.rows));
    if (++n % 2000 === 0) await flush();
  }
  await flush();
  for (const stream of [ndjson, ...copies]) {
    stream.end();
    await once(stream, 'close');
  }
  return { ndjson: join(dir, 'records.ndjson'), copies: RECORD_TABLES.map(({ table }) => join(dir, `${table}.copy`)) };
}

/** COPYs the files (one per table, RECORD_TABLES order) into the tables named by `target`, in one transaction. */
export async function copyFiles(client: pg.Client, files: string[], target: (table: string) => string): Promise<number> {
  const started = performance.now();
  await client.query('BEGIN');
  for (const [i, { table, columns }] of RECORD_TABLES.entries()) {
    await pipeline(createReadStream(files[i]!), client.query(copyFrom(`COPY ${target(table)} (${columns.join(', ')}) FROM STDIN`)));
  }
  await client.query('COMMIT');
  return (performance.now() - started) / 1000;
}

/** Raw COPY of the same rows into same-shaped tables; returns the seconds it took and rows per table. */
async function rawCopy(url: string, files: string[]): Promise<{ seconds: number; rows: Record<string, number> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const [i, { table }] of RECORD_TABLES.entries()) {
      await client.query(`CREATE TABLE ${raw(table)} (LIKE ${table} INCLUDING ALL)`);
      // LIKE copies columns, checks, defaults and indexes but not foreign keys: add the same ones.
      await client.query(
        i === 0
          ? `ALTER TABLE ${raw(table)} ADD FOREIGN KEY (birth_province_code) REFERENCES provinces (code)`
          : `ALTER TABLE ${raw(table)} ADD FOREIGN KEY (personal_id) REFERENCES ${raw('citizens')} (personal_id) ON DELETE CASCADE`,
      );
    }
    await client.query('CHECKPOINT');
    const seconds = await copyFiles(client, files, raw);
    const rows: Record<string, number> = {};
    for (const { table } of RECORD_TABLES) rows[table] = Number((await client.query(`SELECT count(*) AS n FROM ${raw(table)}`)).rows[0].n);
    // The raw copy has served its purpose; it must not slow the importer's run.
    for (const { table } of [...RECORD_TABLES].reverse()) await client.query(`DROP TABLE ${raw(table)}`);
    await client.query('CHECKPOINT');
    return { seconds, rows };
  } finally {
    await client.end();
  }
}

export interface CliImport {
  seconds: number;
  perSecond: number;
  counts: { read: number; inserted: number; updated: number; unchanged: number; rejected: number };
  peakRssMiB: number;
}

/** `npm run cli -- import FILE` in its own process, exactly as an operator runs it; figures from its summary. */
function cliImport(url: string, file: string): CliImport {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const out = execFileSync(process.execPath, ['src/cli.ts', 'import', file], { cwd: root, env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const number = (text: string) => Number(text.replaceAll(',', ''));
  const summary = /in ([\d.]+) s: ([\d,]+) read \(([\d,]+)\/s\): ([\d,]+) inserted, ([\d,]+) updated, ([\d,]+) unchanged, ([\d,]+) rejected/.exec(out);
  const peak = /peak memory: (\d+) MB/.exec(out);
  if (!summary || !peak) throw new Error(`unexpected import output:\n${out}`);
  const [, seconds, read, perSecond, inserted, updated, unchanged, rejected] = summary as unknown as string[];
  return {
    seconds: Number(seconds),
    perSecond: number(perSecond!),
    counts: { read: number(read!), inserted: number(inserted!), updated: number(updated!), unchanged: number(unchanged!), rejected: number(rejected!) },
    peakRssMiB: Number(peak[1]),
  };
}

export interface ImportBenchResult {
  count: number;
  fileMiB: number;
  rows: Record<string, number>;
  copy: { seconds: number; perSecond: number };
  first: CliImport;
  again: CliImport;
}

export async function importBench(url: string, count: number, seed = 'bench'): Promise<ImportBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dinhdanh-bench-'));
  try {
    const files = await writeInputs(dir, count, seed);
    const copy = await rawCopy(url, files.copies);
    const first = cliImport(url, files.ndjson);
    const again = cliImport(url, files.ndjson);
    return { count, fileMiB: statSync(files.ndjson).size / 2 ** 20, rows: copy.rows, copy: { seconds: copy.seconds, perSecond: count / copy.seconds }, first, again };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** For the lookup benchmark alone: count generated records COPYed straight into the real tables. */
export async function loadRecords(url: string, count: number, seed = 'bench'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dinhdanh-bench-'));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const files = await writeInputs(dir, count, seed);
    await copyFiles(client, files.copies, (table) => table);
  } finally {
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
