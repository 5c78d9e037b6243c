// The per-instance client cache: serves from memory only while change notices are live, and never keeps a read
// that a change notice overtook.
import type { ClientMetadata } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { clientCache } from '../../src/oidc/client-cache.ts';

function registry() {
  const rows = new Map<string, ClientMetadata>([['a', { client_id: 'a', client_name: 'one' }]]);
  let reads = 0;
  let hold: Promise<void> | undefined;
  return {
    rows,
    reads: () => reads,
    holdNextRead(until: Promise<void>) {
      hold = until;
    },
    async read(id: string) {
      reads++;
      const found = rows.get(id);
      if (hold) await hold;
      hold = undefined;
      return found && { ...found };
    },
  };
}

describe('client cache', () => {
  it('reads a client once while notices are live, and again after a notice for it', async () => {
    const db = registry();
    const cache = clientCache(db.read, () => true);
    await cache.find('a');
    expect(await cache.find('a')).toEqual({ client_id: 'a', client_name: 'one' });
    expect(db.reads()).toBe(1);
    db.rows.set('a', { client_id: 'a', client_name: 'two' });
    cache.forget('a');
    expect(await cache.find('a')).toMatchObject({ client_name: 'two' });
    expect(db.reads()).toBe(2);
  });

  it('does not keep unknown clients, nor anything while notices are not live', async () => {
    const db = registry();
    let live = false;
    const cache = clientCache(db.read, () => live);
    await cache.find('a');
    await cache.find('a');
    expect(db.reads()).toBe(2);
    live = true;
    await cache.find('nobody');
    await cache.find('nobody');
    expect(db.reads()).toBe(4);
  });

  it('drops a read that a notice overtook: the change it announced wins', async () => {
    const db = registry();
    const cache = clientCache(db.read, () => true);
    let release!: () => void;
    db.holdNextRead(new Promise<void>((resolve) => (release = resolve)));
    const stale = cache.find('a');
    // The change commits and its notice arrives while the read is still on its way.
    db.rows.delete('a');
    cache.forget('a');
    release();
    expect(await stale).toMatchObject({ client_name: 'one' });
    expect(await cache.find('a')).toBeUndefined();
  });

  it('hands out copies: changing what one request got changes nothing for the next', async () => {
    const cache = clientCache(registry().read, () => true);
    const first = (await cache.find('a'))!;
    first.client_name = 'changed';
    expect((await cache.find('a'))!.client_name).toBe('one');
  });
});
