// What each client may get at each API, kept per instance like the clients themselves (src/oidc/client-cache.ts):
// served from memory only while change notices are live; a notice about a client drops its entries, one about
// everything (an API changed) drops all, and a read that overlapped a notice is not kept.
import type { ResourceServer } from '../clients/resource-servers.ts';

type Access = { server?: ResourceServer; scopes?: string[] };
const MAX_CLIENTS = 10_000;

export interface ResourceAccessCache {
  access(clientId: string, resource: string): Promise<Access>;
  forget(clientId: string): void;
  clear(): void;
}

export function resourceAccessCache(read: (clientId: string, resource: string) => Promise<Access>, live: () => boolean): ResourceAccessCache {
  const byClient = new Map<string, Map<string, Access>>();
  let generation = 0;
  return {
    async access(clientId, resource) {
      if (!live()) return read(clientId, resource);
      const hit = byClient.get(clientId)?.get(resource);
      if (hit) return structuredClone(hit);
      const seen = generation;
      const found = await read(clientId, resource);
      if (seen === generation && live()) {
        if (!byClient.has(clientId) && byClient.size >= MAX_CLIENTS) byClient.delete(byClient.keys().next().value!);
        const entries = byClient.get(clientId) ?? new Map<string, Access>();
        // Only APIs that exist: an unknown resource indicator must not fill memory.
        if (found.server && entries.size < 100) entries.set(resource, structuredClone(found));
        byClient.set(clientId, entries);
      }
      return found;
    },
    forget(clientId) {
      generation++;
      if (clientId) byClient.delete(clientId);
      else byClient.clear();
    },
    clear() {
      generation++;
      byClient.clear();
    },
  };
}
