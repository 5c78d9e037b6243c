// The per-instance cache of what a client may get at an API: used only while change notices are live, dropped by
// a notice about the client or about everything, and never keeping a read that overlapped a notice.
import { describe, expect, it } from 'vitest';
import type { ResourceServer } from '../../src/clients/resource-servers.ts';
import { resourceAccessCache } from '../../src/oidc/resource-cache.ts';

const server = { identifier: 'https://api.example.vn/', name: 'API', scopes: ['a:read'], accessTokenFormat: 'jwt', accessTokenTtl: 600, introspectionClientId: null, createdAt: new Date(0), updatedAt: new Date(0) } satisfies ResourceServer;

function counted(answer: () => { server?: ResourceServer; scopes?: string[] } = () => ({ server, scopes: ['a:read'] })) {
  const reads: string[] = [];
  return { reads, read: async (clientId: string, resource: string) => (reads.push(`${clientId} ${resource}`), answer()) };
}

describe('resource access cache', () => {
  it('reads once while notices are live, and every time when they are not', async () => {
    let live = true;
    const { reads, read } = counted();
    const cache = resourceAccessCache(read, () => live);
    await cache.access('svc', server.identifier);
    expect(await cache.access('svc', server.identifier)).toEqual({ server, scopes: ['a:read'] });
    expect(reads).toHaveLength(1);
    live = false;
    await cache.access('svc', server.identifier);
    expect(reads).toHaveLength(2);
  });

  it('drops a client on its notice, everything on a notice about all, and keeps no unknown API', async () => {
    const { reads, read } = counted();
    const cache = resourceAccessCache(read, () => true);
    await cache.access('svc', server.identifier);
    await cache.access('other', server.identifier);
    cache.forget('svc');
    await cache.access('svc', server.identifier);
    await cache.access('other', server.identifier);
    expect(reads).toEqual([`svc ${server.identifier}`, `other ${server.identifier}`, `svc ${server.identifier}`]);
    cache.forget('');
    await cache.access('other', server.identifier);
    expect(reads).toHaveLength(4);

    const unknown = counted(() => ({}));
    const empty = resourceAccessCache(unknown.read, () => true);
    await empty.access('svc', 'https://nowhere.example/');
    await empty.access('svc', 'https://nowhere.example/');
    expect(unknown.reads).toHaveLength(2);
  });

  it('does not keep a read that a notice overtook', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const cache = resourceAccessCache(async () => {
      reads++;
      if (reads === 1) await gate;
      return { server, scopes: ['a:read'] };
    }, () => true);
    const first = cache.access('svc', server.identifier);
    cache.forget('svc');
    release();
    await first;
    await cache.access('svc', server.identifier);
    expect(reads).toBe(2);
  });
});
