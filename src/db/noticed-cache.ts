// What the database says of a client or an account, kept in memory per instance, so a request reads it only when
// it has changed since (the client itself, its access to each API, an account).
// Correctness first: served from memory only while change notices are live (src/db/notifications.ts); a notice,
// or losing them, drops entries; a read that overlapped a notice is not kept.

const MAX_ENTRIES = 10_000;
const identity = (key: string) => key;

export interface NoticedCache<T> {
  find(key: string): Promise<T>;
  /** What `find` would answer from memory, without reading: undefined when nothing is kept (or notices are down). */
  kept(key: string): T | undefined;
  /** A change notice for one owner (a client, an account): every entry of it ('' or unknown: all). */
  forget(owner: string): void;
  clear(): void;
}

export interface NoticedCacheOptions<T> {
  /** Whether a read is worth keeping: only what exists, so that unknown names cannot fill memory. */
  keep(value: T): boolean;
  /** The owner a key belongs to (default: the key is the owner's id). */
  ownerOf?(key: string): string;
}

export function noticedCache<T>(read: (key: string) => Promise<T>, live: () => boolean, options: NoticedCacheOptions<T>): NoticedCache<T> {
  const entries = new Map<string, T>();
  const ownerOf = options.ownerOf ?? identity;
  // Bumped by every notice: a read that started before one may hold what it announced to be stale.
  let generation = 0;
  return {
    async find(key) {
      if (!live()) return read(key);
      const hit = entries.get(key);
      // Frozen when kept: nothing downstream may change what the next request is served, and a hit copies nothing.
      if (hit !== undefined) return hit;
      const seen = generation;
      const found = await read(key);
      if (options.keep(found) && seen === generation && live()) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
        const kept = deepFreeze(structuredClone(found));
        entries.set(key, kept);
        return kept;
      }
      return found;
    },
    kept(key) {
      return live() ? entries.get(key) : undefined;
    },
    forget(owner) {
      generation++;
      if (!owner) return entries.clear();
      if (ownerOf === identity) return void entries.delete(owner);
      // Notices of owners with several entries are rare (a registry change): a pass over them costs nothing that matters.
      for (const key of entries.keys()) if (ownerOf(key) === owner) entries.delete(key);
    },
    clear() {
      generation++;
      entries.clear();
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
