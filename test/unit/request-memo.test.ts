// Writes a request holds (src/oidc/request-memo.ts): written together, in order before any read that needs the
// database, and never left behind once the request has written them.
import { describe, expect, it } from 'vitest';
import { holdWrites, memoized, withRequestMemo, writeHeld, writeHeldAndStop, writeLater } from '../../src/oidc/request-memo.ts';

/** A table in memory: what was written, call by call, and reads that see it. Deletes first, as write_provider_state does. */
function table() {
  const rows = new Map<string, string>();
  const calls: string[][] = [];
  const writeAll = async (writes: Array<{ key: string; value?: string }>) => {
    const ordered = [...writes.filter((w) => w.value === undefined), ...writes.filter((w) => w.value !== undefined)];
    calls.push(ordered.map((w) => `${w.value === undefined ? 'delete' : 'store'} ${w.key}`));
    for (const w of ordered) {
      if (w.value === undefined) rows.delete(w.key);
      else rows.set(w.key, w.value);
    }
  };
  const write = (key: string, value?: string) =>
    writeLater(['Session'], key, { key, value }, writeAll, () => writeAll([{ key, value }]));
  const read = (key: string) => memoized(key, async () => rows.get(key));
  return { rows, calls, write, read };
}

const inRequest = <T>(run: () => Promise<T>) => new Promise<T>((resolve, reject) => withRequestMemo(() => void run().then(resolve, reject)));

describe('writes held by a request', () => {
  it('outside a request that holds them, each write goes at once', async () => {
    const t = table();
    await inRequest(async () => {
      await t.write('Session:id:a', '{"n":1}');
      await t.write('Session:id:b', '{"n":2}');
    });
    expect(t.calls).toEqual([['store Session:id:a'], ['store Session:id:b']]);
  });

  it('held, they go in one call; a later write of the same key replaces the one held before it', async () => {
    const t = table();
    await inRequest(async () => {
      holdWrites();
      await t.write('Session:id:old', '{"n":1}');
      await t.write('Session:id:new', '{"n":1}');
      await t.write('Session:id:old');
      expect(t.calls).toEqual([]);
      await writeHeldAndStop();
    });
    expect(t.calls).toEqual([['delete Session:id:old', 'store Session:id:new']]);
    expect([...t.rows.keys()]).toEqual(['Session:id:new']);
  });

  it('a read while writes are held finds them written: they go first', async () => {
    const t = table();
    const found = await inRequest(async () => {
      holdWrites();
      await t.write('Session:id:a', '{"n":7}');
      return t.read('Session:id:a');
    });
    expect(found).toEqual({ n: 7 });
    expect(t.calls).toEqual([['store Session:id:a']]);
  });

  it('after the request has written what it held, its late writes (events, work left running) go at once', async () => {
    const t = table();
    await inRequest(async () => {
      holdWrites();
      await t.write('Session:id:a', '{"n":1}');
      await writeHeldAndStop();
      await t.write('Session:id:b', '{"n":2}');
    });
    expect(t.calls).toEqual([['store Session:id:a'], ['store Session:id:b']]);
  });

  it('a write that comes while the request is writing what it held goes after it, not beside it', async () => {
    const t = table();
    let finish = () => {};
    const slow = async (writes: Array<{ key: string; value?: string }>) => {
      await new Promise<void>((resolve) => (finish = resolve));
      t.calls.push(writes.map((w) => `slow ${w.key}`));
    };
    await inRequest(async () => {
      holdWrites();
      await writeLater(['Session'], 'Session:id:a', { key: 'Session:id:a', value: '{}' }, slow, async () => undefined);
      const end = writeHeldAndStop();
      const late = t.write('Session:id:b', '{}');
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(t.calls).toEqual([]);
      finish();
      await Promise.all([end, late]);
    });
    expect(t.calls).toEqual([['slow Session:id:a'], ['store Session:id:b']]);
  });

  it('a failed write fails the request\'s later reads and its end, rather than answering as if it were saved', async () => {
    const refused = new Error('disk full');
    await inRequest(async () => {
      holdWrites();
      await writeLater(['Session'], 'Session:id:a', {}, async () => Promise.reject(refused), async () => undefined);
      await expect(writeHeld()).rejects.toBe(refused);
      await expect(memoized('Session:id:b', async () => undefined)).rejects.toBe(refused);
      await expect(writeHeldAndStop()).rejects.toBe(refused);
    });
  });
});
