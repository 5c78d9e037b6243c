// What the registry says of a client, kept in memory per instance, so a request reads the registry only for what
// it has not seen since the client's last change: the client itself, and what it may get at each API.
// Correctness first: served from memory only while change notices are live (src/db/notifications.ts); a notice,
// or losing them, drops entries; a read that overlapped a notice is not kept.

const MAX_ENTRIES = 10_000;

export interface ClientCache<T> {
  find(key: string): Promise<T>;
  /** A change notice for one client: every entry of that client ('' or unknown: all). */
  forget(clientId: string): void;
  clear(): void;
}

export interface ClientCacheOptions<T> {
  /** Whether a read is worth keeping: only what exists, so that unknown names cannot fill memory. */
  keep(value: T): boolean;
  /** The client a key belongs to (default: the key is the client_id). */
  clientOf?(key: string): string;
}

export function clientCache<T>(read: (key: string) => Promise<T>, live: () => boolean, options: ClientCacheOptions<T>): ClientCache<T> {
  const entries = new Map<string, T>();
  const clientOf = options.clientOf ?? ((key: string) => key);
  // Bumped by every notice: a read that started before one may hold what it announced to be stale.
  let generation = 0;
  return {
    async find(key) {
      if (!live()) return read(key);
      const hit = entries.get(key);
      // A copy: nothing downstream may change what the next request is served.
      if (hit !== undefined) return structuredClone(hit);
      const seen = generation;
      const found = await read(key);
      if (options.keep(found) && seen === generation && live()) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
        entries.set(key, structuredClone(found));
      }
      return found;
    },
    forget(clientId) {
      generation++;
      if (!clientId) return entries.clear();
      // Notices are rare (a registry change): a pass over the entries costs nothing that matters.
      for (const key of entries.keys()) if (clientOf(key) === clientId) entries.delete(key);
    },
    clear() {
      generation++;
      entries.clear();
    },
  };
}
