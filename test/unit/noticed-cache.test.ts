// The per-instance client cache: serves from memory only while change notices are live, and never keeps a read
// that a change notice overtook.
import type { ClientMetadata } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { noticedCache } from '../../src/db/noticed-cache.ts';

function registry() {
  const rows = new Map<string, ClientMetadata>([['a', { client_id: 'a', client_name: 'one', redirect_uris: ['https://a.example/cb'] }]]);
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
    const cache = noticedCache(db.read, () => true, { keep: (client) => client !== undefined });
    await cache.find('a');
    expect(await cache.find('a')).toMatchObject({ client_id: 'a', client_name: 'one' });
    expect(db.reads()).toBe(1);
    db.rows.set('a', { client_id: 'a', client_name: 'two' });
    cache.forget('a');
    expect(await cache.find('a')).toMatchObject({ client_name: 'two' });
    expect(db.reads()).toBe(2);
  });

  it('tells what it keeps without reading: the same object until a notice, nothing while notices are down', async () => {
    const db = registry();
    let live = true;
    const cache = noticedCache(db.read, () => live, { keep: (client) => client !== undefined });
    expect(cache.kept('a')).toBeUndefined();
    const first = await cache.find('a');
    expect(cache.kept('a')).toBe(first);
    expect(await cache.find('a')).toBe(first);
    cache.forget('a');
    expect(cache.kept('a')).toBeUndefined();
    const second = await cache.find('a');
    live = false;
    expect(cache.kept('a')).toBeUndefined();
    live = true;
    expect(cache.kept('a')).toBe(second);
    expect(db.reads()).toBe(2);
  });

  it('does not keep unknown clients, nor anything while notices are not live', async () => {
    const db = registry();
    let live = false;
    const cache = noticedCache(db.read, () => live, { keep: (client) => client !== undefined });
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
    const cache = noticedCache(db.read, () => true, { keep: (client) => client !== undefined });
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

  it('hands out frozen values: what one request got cannot be changed for the next, nested parts included', async () => {
    const cache = noticedCache(registry().read, () => true, { keep: (client) => client !== undefined });
    const first = (await cache.find('a'))!;
    expect(() => { first.client_name = 'changed'; }).toThrow(TypeError);
    expect(() => (first.redirect_uris as string[]).push('https://evil.example/')).toThrow(TypeError);
    const second = (await cache.find('a'))!;
    expect(second.client_name).toBe('one');
    expect(second.redirect_uris).toEqual(['https://a.example/cb']);
  });
});

describe('client cache with several entries per client (API access)', () => {
  const access = { server: 'https://api.example.vn/', scopes: ['a:read'] };
  const ownerOf = (key: string) => key.slice(0, key.indexOf('\n'));
  function counted(answer: (key: string) => { server?: string; scopes?: string[] } = () => access) {
    const reads: string[] = [];
    return { reads, read: async (key: string) => (reads.push(key), answer(key)) };
  }

  it('drops every entry of a client on its notice, all on a notice about everything, and keeps no unknown API', async () => {
    const { reads, read } = counted();
    const cache = noticedCache(read, () => true, { keep: (a) => a.server !== undefined, ownerOf });
    for (const key of ['svc\nA', 'svc\nB', 'other\nA']) await cache.find(key);
    expect(await cache.find('svc\nA')).toEqual(access);
    expect(reads).toHaveLength(3);
    cache.forget('svc');
    for (const key of ['svc\nA', 'svc\nB', 'other\nA']) await cache.find(key);
    expect(reads).toEqual(['svc\nA', 'svc\nB', 'other\nA', 'svc\nA', 'svc\nB']);
    cache.forget('');
    await cache.find('other\nA');
    expect(reads).toHaveLength(6);

    const unknown = counted(() => ({}));
    const empty = noticedCache(unknown.read, () => true, { keep: (a) => a.server !== undefined, ownerOf });
    await empty.find('svc\nhttps://nowhere.example/');
    await empty.find('svc\nhttps://nowhere.example/');
    expect(unknown.reads).toHaveLength(2);
  });

  it('does not keep a read that a notice for its client overtook', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const cache = noticedCache(async () => {
      reads++;
      if (reads === 1) await gate;
      return access;
    }, () => true, { keep: (a) => a.server !== undefined, ownerOf });
    const first = cache.find('svc\nA');
    cache.forget('svc');
    release();
    await first;
    await cache.find('svc\nA');
    expect(reads).toBe(2);
  });
});
