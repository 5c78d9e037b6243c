// Approved clients kept in memory per instance, so a request reads the registry only for a client it has not
// seen since its last change. Correctness first: served from memory only while change notices are live
// (src/db/notifications.ts); a notice, or losing them, drops entries; a read that overlapped a notice is not kept.
import type { ClientMetadata } from 'oidc-provider';

const MAX_ENTRIES = 10_000;

export interface ClientCache {
  find(clientId: string): Promise<ClientMetadata | undefined>;
  /** A change notice for one client ('' or unknown: all). */
  forget(clientId: string): void;
  clear(): void;
}

export function clientCache(read: (clientId: string) => Promise<ClientMetadata | undefined>, live: () => boolean): ClientCache {
  const entries = new Map<string, ClientMetadata>();
  // Bumped by every notice: a read that started before one may hold what it announced to be stale.
  let generation = 0;
  return {
    async find(clientId) {
      if (!live()) return read(clientId);
      const hit = entries.get(clientId);
      // A copy: nothing downstream may change what the next request is served.
      if (hit) return structuredClone(hit);
      const seen = generation;
      const found = await read(clientId);
      // Only approved clients are kept: an unknown client_id must not fill memory.
      if (found && seen === generation && live()) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
        entries.set(clientId, structuredClone(found));
      }
      return found;
    },
    forget(clientId) {
      generation++;
      if (clientId) entries.delete(clientId);
      else entries.clear();
    },
    clear() {
      generation++;
      entries.clear();
    },
  };
}
