// Group commit: rows that come while a write is in flight go together in the next one; a refused row is retried
// alone so that it takes no other row with it.
import { describe, expect, it } from 'vitest';
import { groupedWrites } from '../../src/db/grouped-writes.ts';

describe('grouped writes', () => {
  it('writes a lone row at once, and the rows that came meanwhile together after it', async () => {
    const statements: number[][] = [];
    let release: () => void = () => undefined;
    const record = groupedWrites<number>(async (rows) => {
      statements.push(rows);
      if (rows[0] === 1) await new Promise<void>((r) => (release = r));
    });
    const first = record(1);
    const rest = [2, 3, 4].map((n) => record(n));
    expect(statements).toEqual([[1]]);
    release();
    await Promise.all([first, ...rest]);
    expect(statements).toEqual([[1], [2, 3, 4]]);
  });

  it('fails only the row the database refuses', async () => {
    let hold: Promise<void> | undefined = new Promise((r) => setTimeout(r, 10));
    const record = groupedWrites<number>(async (rows) => {
      if (hold) await hold.finally(() => (hold = undefined));
      if (rows.includes(13)) throw new Error('refused');
    });
    const results = await Promise.allSettled([record(1), record(12), record(13), record(14)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });
});
