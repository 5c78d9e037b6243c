// The CLI's import worker on the embedded database: the process exits as soon as the worker reports, so
// everything the import wrote must be on disk by then.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { generateRecords } from '../../src/registry/generate.ts';
import { importInWorker } from '../../src/registry/import/worker.ts';

const dir = mkdtempSync(join(tmpdir(), 'dinhdanh-import-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('importInWorker on PGlite', () => {
  it('has shut the database down, every record written, when it reports (the CLI exits then)', async () => {
    const records = [...generateRecords({ count: 150, seed: 'worker' })];
    // One plate given twice makes the batch fall back to one transaction per record.
    const [a, b] = [records.find((r) => r.vehicles?.length)!, records.findLast((r) => r.vehicles?.length)!];
    b.vehicles = [{ ...a.vehicles![0]! }];
    const path = join(dir, 'records.ndjson');
    writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n'));
    const dataDir = join(dir, 'data');
    const summary = await importInWorker({ location: { engine: 'pglite', dataDir }, options: { path, format: 'ndjson', rejectsPath: `${path}.rejects.ndjson`, today: '2026-11-22' } });
    expect(summary).toMatchObject({ inserted: 149, rejected: 1 });
    // What a process exiting now leaves behind: the database must already be shut down (PGlite removes its
    // postmaster.pid then), with every record written.
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
    const database = await openDatabase({ engine: 'pglite', dataDir });
    try {
      const row = await database.db.selectFrom('citizens').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(row.n)).toBe(149);
    } finally {
      await database.close();
    }
  }, 180_000);
});
