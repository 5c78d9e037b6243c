// Within one HTTP request the provider reads the same interaction and session several times (our page reads them,
// then interactionResult reads them again). Each read is a database round trip; the first answer serves the rest
// of the request, and any write of that model in the request forgets what was read.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AdapterPayload } from 'oidc-provider';

type Reads = Map<string, Promise<AdapterPayload | undefined>>;
const requestReads = new AsyncLocalStorage<Reads>();

/** Runs `next` (the rest of the request's hooks and handler) with a memo of its own. */
export function withRequestMemo(next: () => void): void {
  requestReads.run(new Map(), next);
}

/** A read through the request's memo; outside a request (jobs, CLIs) it reads every time. */
export async function memoized(key: string, read: () => Promise<AdapterPayload | undefined>): Promise<AdapterPayload | undefined> {
  const reads = requestReads.getStore();
  if (!reads) return read();
  let pending = reads.get(key);
  if (!pending) {
    pending = read();
    reads.set(key, pending);
    pending.catch(() => reads.delete(key));
  }
  // The provider builds mutable models from a payload: each reader gets its own copy.
  const payload = await pending;
  return payload && structuredClone(payload);
}

function forgetReads(models: readonly string[]): void {
  const reads = requestReads.getStore();
  if (!reads) return;
  for (const key of reads.keys()) if (models.some((model) => key.startsWith(`${model}:`))) reads.delete(key);
}

/** A write of these models: what the request read of them before, or while it ran, is read again afterwards. */
export async function writing<T>(models: readonly string[], write: () => Promise<T>): Promise<T> {
  forgetReads(models);
  try {
    return await write();
  } finally {
    forgetReads(models);
  }
}
