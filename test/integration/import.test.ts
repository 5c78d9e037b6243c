// Importing population extracts, on whichever engine the suite runs (PGlite, or PostgreSQL with TEST_DATABASE_URL).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { generateRecords } from '../../src/registry/generate.ts';
import { csvLine, CSV_COLUMNS, recordToCsvCells } from '../../src/registry/import/csv-columns.ts';
import { importExtract } from '../../src/registry/import/importer.ts';
import { insertRecords } from '../../src/registry/import/insert-records.ts';
import type { Format } from '../../src/registry/import/readers.ts';
import type { PopulationRecord } from '../../src/registry/records.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { freePort } from '../helpers/provider.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TODAY = '2026-11-22';

let testDb: TestDatabase;
let database: Database;
const dir = mkdtempSync(join(tmpdir(), 'dinhdanh-import-'));

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase(testDb.location);
  await migrate(database);
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await sql`TRUNCATE citizens CASCADE`.execute(database.db);
});

// 40 good records (households with relatives and documents) and templates for bad lines.
const [good, spare] = (() => {
  const all = [...generateRecords({ count: 60, seed: 'import-test' })];
  return [all.slice(0, 40), all.slice(40)] as const;
})();
const withVehicle = good.find((r) => r.vehicles?.length)!;
const json = (record: unknown) => JSON.stringify(record);
const change = (record: PopulationRecord, patch: Record<string, unknown>) => ({ ...record, ...patch });
const clone = <T>(value: T): T => structuredClone(value);

/** Bad lines of every kind, each with the reason it must be reported with. */
function badLines(): Array<[string, string]> {
  const [a, b, c, d, e, f, g, h, i] = spare.slice(0, 9) as [PopulationRecord, PopulationRecord, PopulationRecord, PopulationRecord, PopulationRecord, PopulationRecord, PopulationRecord, PopulationRecord, PopulationRecord];
  const flipSex = (r: PopulationRecord) => change(r, { sex: r.sex === 'male' ? 'female' : 'male' });
  return [
    ['{"personal_id": "001090012345", "family_name": ', 'malformed_line'],
    ['[1, 2, 3]', 'malformed_line'],
    [json(change(a, { given_name: undefined })), 'missing_field:given_name'],
    [json(change(b, { personal_id: '12345' })), 'bad_id_number'],
    [json(change(c, { personal_id: `003${c.personal_id.slice(3)}` })), 'unknown_province'],
    [json(flipSex(d)), 'id_disagrees_with_sex'],
    [json(change(e, { birthdate: `${Number(e.birthdate.slice(0, 4)) - 1}-06-15` })), 'id_disagrees_with_birthdate'],
    [json(change(f, { vehicles: [{ plate: '29A-12345', type: 'car', registered_on: '2020-01-01' }] })), 'invalid_field:vehicles[0].plate'],
    [json(change(g, { nickname: 'Bé' })), 'invalid_field:nickname'],
    // A later line with a number already given: refused, whatever it says.
    [json(change(good[3]!, { given_name: 'Khác' })), 'duplicate_personal_id'],
    // Valid on its own, but its plate is another citizen's: only the database can tell.
    [json(change(h, { vehicles: [{ ...withVehicle.vehicles![0]!, registered_on: '2024-01-01' }] })), 'already_taken:vehicle_registrations_pkey'],
    [json(change(i, { health_insurance: { card_number: 'XX', clinic: 'A', valid_from: '2026-01-01' } })), 'invalid_field:health_insurance.card_number'],
  ];
}

/** Good and bad lines interleaved, plus a blank line (skipped, not counted). */
function mixedFile(records: PopulationRecord[] = good): { text: string; expected: Array<{ line: number; reason: string }> } {
  const lines: string[] = [];
  const expected: Array<{ line: number; reason: string }> = [];
  const bad = badLines();
  records.forEach((record, index) => {
    lines.push(json(record));
    if (index % 3 === 2 && bad.length > 0) {
      const [line, reason] = bad.shift()!;
      lines.push(line);
      expected.push({ line: lines.length, reason });
    }
  });
  lines.push('');
  for (const [line, reason] of bad) {
    lines.push(line);
    expected.push({ line: lines.length, reason });
  }
  return { text: `${lines.join('\n')}\n`, expected };
}

async function runImport(name: string, text: string, format: Format = 'ndjson', batchSize = 7) {
  const path = join(dir, name);
  writeFileSync(path, text);
  const rejectsPath = `${path}.rejects.ndjson`;
  const summary = await importExtract(database, testDb.location, { path, format, rejectsPath, batchSize, today: TODAY });
  const report = readFileSync(rejectsPath, 'utf8');
  const rejects = report.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { line: number; reason: string; message: string; personal_id?: string });
  return { summary, rejects: rejects.sort((x, y) => x.line - y.line), report };
}

async function snapshot() {
  const db = database.db;
  return {
    citizens: await db.selectFrom('citizens').selectAll().orderBy('personal_id').execute(),
    relatives: await db.selectFrom('citizen_relatives').selectAll().orderBy(['personal_id', 'relation']).execute(),
    licences: await db.selectFrom('driver_licenses').selectAll().orderBy('number').execute(),
    vehicles: await db.selectFrom('vehicle_registrations').selectAll().orderBy('plate').execute(),
    insurance: await db.selectFrom('health_insurance_cards').selectAll().orderBy('card_number').execute(),
  };
}

/** A citizen who is not in any file: an import must never touch them. */
async function bystander() {
  const personal_id = '001090012345';
  await database.db.insertInto('citizens').values({ personal_id, family_name: 'Nguyễn', middle_name: 'Văn', given_name: 'An', birthdate: '1990-05-12', sex: 'male' }).execute();
  await database.db.insertInto('citizen_relatives').values({ personal_id, relation: 'mother', relative_personal_id: null, full_name: 'Trần Thị Mai', birth_year: 1962 }).execute();
  return personal_id;
}

describe('importing an extract with good and bad lines', () => {
  it('lands the good records with relatives and documents, reports each bad line, and changes nothing else', async () => {
    const keep = await bystander();
    const before = await snapshot();
    const { text, expected } = mixedFile();
    const { summary, rejects, report } = await runImport('mixed.ndjson', text);

    expect(summary).toMatchObject({ read: 40 + expected.length, inserted: 40, updated: 0, unchanged: 0, rejected: expected.length });
    expect(rejects.map(({ line, reason }) => ({ line, reason }))).toEqual(expected);
    for (const r of rejects) expect(r.message.length).toBeGreaterThan(5);
    expect(rejects.find((r) => r.reason === 'duplicate_personal_id')).toMatchObject({ personal_id: good[3]!.personal_id, message: expect.stringMatching(/earlier line/) });
    expect(rejects.find((r) => r.reason === 'id_disagrees_with_sex')).toHaveProperty('personal_id', spare[3]!.personal_id);
    expect(rejects.find((r) => r.reason === 'bad_id_number')).not.toHaveProperty('personal_id');
    // The report names lines and numbers, never their content (personal data).
    for (const r of rejects) expect(Object.keys(r).every((k) => ['line', 'reason', 'message', 'personal_id'].includes(k))).toBe(true);
    for (const r of spare) for (const name of [r.family_name, r.given_name].filter((n) => n.length > 2)) expect(report).not.toContain(name);

    const after = await snapshot();
    expect(after.citizens.map((c) => c.personal_id)).toEqual([keep, ...good.map((r) => r.personal_id)].sort());
    expect(after.citizens.find((c) => c.personal_id === keep)).toEqual(before.citizens.find((c) => c.personal_id === keep));
    expect(after.relatives.filter((r) => r.personal_id === keep)).toEqual(before.relatives);
    expect(after.relatives).toHaveLength(1 + good.reduce((n, r) => n + Object.keys(r.relatives ?? {}).length, 0));
    expect(after.licences).toHaveLength(good.reduce((n, r) => n + (r.driver_licenses?.length ?? 0), 0));
    expect(after.vehicles).toHaveLength(good.reduce((n, r) => n + (r.vehicles?.length ?? 0), 0));
    expect(after.insurance).toHaveLength(good.filter((r) => r.health_insurance).length);

    // One household member, field by field.
    const child = good.find((r) => r.relatives?.father?.personal_id && r.relatives.mother?.personal_id)!;
    const row = after.citizens.find((c) => c.personal_id === child.personal_id)!;
    expect(row).toMatchObject({ family_name: child.family_name, middle_name: child.middle_name, given_name: child.given_name, birthdate: child.birthdate, sex: child.sex, birth_province_code: child.personal_id.slice(0, 3), residence_province: child.residence!.province });
    expect(after.relatives.filter((r) => r.personal_id === child.personal_id).map((r) => [r.relation, r.relative_personal_id])).toEqual([
      ['father', child.relatives!.father!.personal_id],
      ['mother', child.relatives!.mother!.personal_id],
    ]);
    const driver = good.find((r) => r.driver_licenses?.length)!;
    expect(after.licences.find((l) => l.personal_id === driver.personal_id)).toMatchObject({ ...driver.driver_licenses![0], expires_on: driver.driver_licenses![0]!.expires_on ?? null });
  });

  it('changes nothing when the same file is imported again', async () => {
    const { text, expected } = mixedFile();
    await runImport('again.ndjson', text);
    const before = await snapshot();
    const { summary, rejects } = await runImport('again.ndjson', text);
    expect(summary).toMatchObject({ inserted: 0, updated: 0, unchanged: 40, rejected: expected.length });
    expect(rejects.map(({ line, reason }) => ({ line, reason }))).toEqual(expected);
    // Same rows, same updated_at: an unchanged record is not even rewritten.
    expect(await snapshot()).toEqual(before);
  });

  it('updates a changed record and replaces its relatives and documents, leaving the rest alone', async () => {
    await runImport('v1.ndjson', good.map(json).join('\n'));
    const before = await snapshot();
    const renamed = clone(withVehicle);
    renamed.given_name = 'Đổi';
    renamed.vehicles = [{ plate: '30K-999.99', type: 'car', brand: 'VinFast', registered_on: '2025-05-05' }];
    const licensed = clone(good.find((r) => r !== withVehicle && !r.driver_licenses)!);
    licensed.driver_licenses = [{ number: '001234567890', classes: ['A1'], issued_on: '2025-03-01' }];
    delete licensed.relatives;
    const version2 = good.map((r) => (r.personal_id === renamed.personal_id ? renamed : r.personal_id === licensed.personal_id ? licensed : r));

    const { summary } = await runImport('v2.ndjson', version2.map(json).join('\n'));
    expect(summary).toMatchObject({ inserted: 0, updated: 2, unchanged: 38, rejected: 0 });

    const after = await snapshot();
    const moved = after.citizens.filter((c) => before.citizens.find((b) => b.personal_id === c.personal_id)!.updated_at.getTime() !== c.updated_at.getTime());
    expect(moved.map((c) => c.personal_id).sort()).toEqual([renamed.personal_id, licensed.personal_id].sort());
    expect(after.citizens.find((c) => c.personal_id === renamed.personal_id)!.given_name).toBe('Đổi');
    expect(after.vehicles.filter((v) => v.personal_id === renamed.personal_id).map((v) => v.plate)).toEqual(['30K-999.99']);
    expect(after.vehicles.map((v) => v.plate)).not.toContain(withVehicle.vehicles![0]!.plate);
    expect(after.licences.filter((l) => l.personal_id === licensed.personal_id).map((l) => l.number)).toEqual(['001234567890']);
    expect(after.relatives.filter((r) => r.personal_id === licensed.personal_id)).toEqual([]);
    // Everyone else's rows are exactly as they were.
    const others = (s: typeof before) => s.relatives.filter((r) => r.personal_id !== renamed.personal_id && r.personal_id !== licensed.personal_id);
    expect(others(after)).toEqual(others(before));
  });
});

const csv = (records: PopulationRecord[]) => [csvLine(CSV_COLUMNS), ...records.map((r) => csvLine(recordToCsvCells(r)))];

describe('CSV extracts', () => {
  it('import like NDJSON: good rows land, bad rows are reported by line, the same records as NDJSON are unchanged', async () => {
    const lines = csv(good);
    const broken = recordToCsvCells(spare[0]!);
    lines.splice(5, 0, `${csvLine(broken).slice(0, 20)}"unclosed,quote\n`); // line 6
    lines.splice(10, 0, 'only,three,cells\n'); // line 11
    const badJson = recordToCsvCells(change(spare[1]!, { vehicles: undefined }));
    badJson[CSV_COLUMNS.indexOf('vehicles')] = '[{"plate": ';
    lines.splice(15, 0, csvLine(badJson)); // line 16
    const badDate = recordToCsvCells(change(spare[2]!, { birthdate: '1990-02-30' }));
    lines.push(csvLine(badDate)); // last line
    const { summary, rejects } = await runImport('mixed.csv', lines.join(''), 'csv');
    expect(summary).toMatchObject({ inserted: 40, rejected: 4 });
    expect(rejects.map(({ line, reason }) => ({ line, reason }))).toEqual([
      { line: 6, reason: 'malformed_line' },
      { line: 11, reason: 'malformed_line' },
      { line: 16, reason: 'invalid_field:vehicles' },
      { line: lines.length, reason: 'invalid_field:birthdate' },
    ]);
    expect(rejects[2]).toHaveProperty('personal_id', spare[1]!.personal_id);
    const again = await runImport('same.ndjson', good.map(json).join('\n'));
    expect(again.summary).toMatchObject({ inserted: 0, updated: 0, unchanged: 40 });
  });

  it('refuse a header with an unknown column, before writing anything', async () => {
    const lines = csv(good);
    lines[0] = lines[0]!.replace('birthdate', 'birth_date');
    await expect(runImport('header.csv', lines.join(''), 'csv')).rejects.toThrow(/unknown column\(s\) in the header: birth_date/);
    expect(await database.db.selectFrom('citizens').select('personal_id').execute()).toEqual([]);
  });
});

describe('generated extracts', () => {
  it('import with no rejects, in both formats', async () => {
    const records = [...generateRecords({ count: 2000, seed: 'generated' })];
    const { summary } = await runImport('generated.ndjson', records.map(json).join('\n'), 'ndjson', 500);
    expect(summary).toMatchObject({ read: 2000, inserted: 2000, rejected: 0 });
    const count = async (table: 'citizens' | 'citizen_relatives' | 'vehicle_registrations') =>
      Number((await database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count('citizens')).toBe(2000);
    expect(await count('citizen_relatives')).toBe(records.reduce((n, r) => n + Object.keys(r.relatives ?? {}).length, 0));
    expect(await count('vehicle_registrations')).toBe(records.reduce((n, r) => n + (r.vehicles?.length ?? 0), 0));
    const asCsv = await runImport('generated.csv', csv(records).join(''), 'csv', 500);
    expect(asCsv.summary).toMatchObject({ read: 2000, inserted: 0, updated: 0, unchanged: 2000, rejected: 0 });
  });
});

describe('importing the same generated file three times', () => {
  const counts = (summary: { inserted: number; updated: number; unchanged: number; rejected: number }) =>
    ({ inserted: summary.inserted, updated: summary.updated, unchanged: summary.unchanged, rejected: summary.rejected });

  /** Every record of the file is in the database exactly once, with the file's plates and social insurance code. */
  async function expectExactly(records: PopulationRecord[], others = 0) {
    const after = await snapshot();
    expect(after.citizens).toHaveLength(records.length + others);
    const rows = new Map(after.citizens.map((c) => [c.personal_id, c]));
    for (const r of records) {
      expect(rows.get(r.personal_id), r.personal_id).toMatchObject({ given_name: r.given_name, social_insurance_number: r.social_insurance_number ?? null });
      expect(after.vehicles.filter((v) => v.personal_id === r.personal_id).map((v) => v.plate).sort()).toEqual((r.vehicles ?? []).map((v) => v.plate).sort());
    }
  }

  it('writes nothing the second and third time, when the registry held some of its numbers on other citizens', async () => {
    const records = [...generateRecords({ count: 300, seed: 'reimport' })];
    const early = records.slice(0, 50);
    const late = records.slice(250);
    const [a, x1, x2] = [early.find((r) => r.vehicles?.length)!, late.find((r) => r.vehicles?.length)!, late.findLast((r) => r.vehicles?.length)!];
    const a2 = early.find((r) => r.social_insurance_number && r !== a)!;
    const x3 = late.find((r) => r !== x1 && r !== x2 && !r.vehicles)!;
    // An older registry: X1's plates then were A's (later re-registered to A), X2's were X1's, and X3 held
    // A2's social insurance code. Each number is freed by a line after the one that needs it, in another batch.
    await insertRecords(database.db, [
      { ...clone(x1), vehicles: clone(a.vehicles) },
      { ...clone(x2), vehicles: clone(x1.vehicles) },
      { ...clone(x3), social_insurance_number: a2.social_insurance_number! },
    ], TODAY);
    const text = records.map(json).join('\n');

    const first = await runImport('reimport.ndjson', text, 'ndjson', 50);
    expect(counts(first.summary)).toEqual({ inserted: 297, updated: 3, unchanged: 0, rejected: 0 });
    for (const name of ['second', 'third']) {
      const again = await runImport('reimport.ndjson', text, 'ndjson', 50);
      expect(counts(again.summary), name).toEqual({ inserted: 0, updated: 0, unchanged: 300, rejected: 0 });
    }
    await expectExactly(records);
  });

  it('into the sandbox: a demo population lands beside the sandbox one, changing none of its citizens', async () => {
    const sandbox = [...generateRecords({ count: 500, seed: 'sandbox' })];
    await insertRecords(database.db, sandbox, TODAY);
    const before = await snapshot();
    const demo = [...generateRecords({ count: 2000, seed: 'demo' })];
    const text = demo.map(json).join('\n');
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(counts((await runImport('demo.ndjson', text, 'ndjson', 500)).summary));
    expect(runs).toEqual([
      { inserted: 2000, updated: 0, unchanged: 0, rejected: 0 },
      { inserted: 0, updated: 0, unchanged: 2000, rejected: 0 },
      { inserted: 0, updated: 0, unchanged: 2000, rejected: 0 },
    ]);
    await expectExactly(demo, 500);
    const after = await snapshot();
    const ids = new Set(sandbox.map((r) => r.personal_id));
    expect(after.citizens.filter((c) => ids.has(c.personal_id))).toEqual(before.citizens);
  });
});

describe('insertRecords (the sandbox seed)', () => {
  it('puts generated records in with their relatives and documents, and leaves numbers already there alone', async () => {
    const records = [...generateRecords({ count: 120, seed: 'sandbox' })];
    expect(await insertRecords(database.db, records, TODAY)).toBe(120);
    const before = await snapshot();
    expect(before.relatives).toHaveLength(records.reduce((n, r) => n + Object.keys(r.relatives ?? {}).length, 0));
    expect(before.vehicles).toHaveLength(records.reduce((n, r) => n + (r.vehicles?.length ?? 0), 0));
    expect(await insertRecords(database.db, records, TODAY)).toBe(0);
    expect(await snapshot()).toEqual(before);
    // Seeded records are what an import of the same records finds unchanged.
    const { summary } = await runImport('seeded.ndjson', records.map(json).join('\n'));
    expect(summary).toMatchObject({ inserted: 0, updated: 0, unchanged: 120 });
  });
});

describe('npm run cli -- import', () => {
  it('prints the summary and exits 0 even with rejected lines; a usage error exits 2', () => {
    const location = testDb.location;
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      DATA_DIR: join(dir, 'cli-data'),
      ...(location.engine === 'postgres' ? { DATABASE_URL: location.url } : {}),
    };
    const path = join(dir, 'cli.ndjson');
    writeFileSync(path, `${good.slice(0, 5).map(json).join('\n')}\nnot json\n`);
    const run = (...args: string[]) => spawnSync(process.execPath, ['src/cli.ts', ...args], { cwd: ROOT, env, encoding: 'utf8' });
    const result = run('import', path, '--rejects', join(dir, 'cli-rejects.ndjson'));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/6 read .*5 inserted, 0 updated, 0 unchanged, 1 rejected/);
    expect(result.stdout).toContain('malformed_line 1');
    expect(JSON.parse(readFileSync(join(dir, 'cli-rejects.ndjson'), 'utf8'))).toMatchObject({ line: 6, reason: 'malformed_line' });
    expect(result.stderr).toBe('');
    expect(run('import').status).toBe(2);
    expect(run('import', path, '--batch', 'many').status).toBe(2);
    expect(run('generate', '--count', '3').stdout.trim().split('\n')).toHaveLength(3);
    // An argument a command does not take is a mistake, not something to ignore.
    const migrateWithExtra = run('migrate', 'now');
    expect(migrateWithExtra.status).toBe(2);
    expect(migrateWithExtra.stderr).toContain("migrate: Unexpected argument 'now'");
  });

  it('says in one line, exit 1, that the database is unreachable or does not exist: no stack trace', async () => {
    const path = join(dir, 'cli-unreachable.ndjson');
    writeFileSync(path, `${json(good[0]!)}\n`);
    const importInto = (databaseUrl: string) =>
      spawnSync(process.execPath, ['src/cli.ts', 'import', path], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, DATABASE_WAIT_SECONDS: '0' }, encoding: 'utf8' });
    const unreachable = importInto(`postgres://postgres@127.0.0.1:${await freePort()}/dinhdanh`);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr.trim()).toMatch(/^dinhdanh: the database did not answer: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    // A server to ask (the PostgreSQL pass): a database name it does not have.
    if (testDb.location.engine === 'postgres') {
      const misnamed = importInto(testDb.location.url.replace(/\/[^/?]+(\?|$)/, '/no_such_database$1'));
      expect(misnamed.status).toBe(1);
      expect(misnamed.stderr.trim()).toBe('dinhdanh: database "no_such_database" does not exist (3D000)');
    }
  });
});
