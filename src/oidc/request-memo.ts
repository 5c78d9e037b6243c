// Within one HTTP request the provider reads the same interaction and session several times (our page reads them,
// then interactionResult reads them again). Each read is a database round trip; the first answer serves the rest
// of the request, and any write of that model in the request forgets what was read. A read may also bring what
// the request will ask for next (a token's grant and session): those answers are kept the same way.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AdapterPayload } from 'oidc-provider';

/** A payload as JSON text: each reader parses its own copy (cheaper than structuredClone of the parsed object). */
type Answer = string | undefined;
interface Memo {
  reads: Map<string, Promise<Answer>>;
  /** Bumped by every write: an answer fetched before a write is not kept after it. */
  writes: number;
  /** The interaction a resume request (/auth/:uid) names: the provider reads it right after the session. */
  resuming: string | undefined;
}
const requestMemo = new AsyncLocalStorage<Memo>();

// oidc-provider's resume route (lib/helpers/defaults.js: authorization `/auth`, resumed at `/auth/:uid`), whose
// uids are its nanoids.
const RESUME_PATH = /^\/auth\/([A-Za-z0-9_-]{1,64})(?:\?|$)/;

/** Runs `next` (the rest of the request's hooks and handler) with a memo of its own; `url` is the request's. */
export function withRequestMemo(next: () => void, url = ''): void {
  requestMemo.run({ reads: new Map(), writes: 0, resuming: RESUME_PATH.exec(url)?.[1] }, next);
}

/** The interaction this request resumes, if it is a resume: its read can go with the session's. */
export function resumedInteraction(): string | undefined {
  return requestMemo.getStore()?.resuming;
}

/** A read through the request's memo; outside a request (jobs, CLIs) it reads every time. */
export async function memoized(key: string, read: () => Promise<Answer>): Promise<AdapterPayload | undefined> {
  const memo = requestMemo.getStore();
  if (!memo) return parsed(await read());
  let pending = memo.reads.get(key);
  if (!pending) {
    pending = read();
    memo.reads.set(key, pending);
    pending.catch(() => memo.reads.delete(key));
  }
  // The provider builds mutable models from a payload: each reader gets its own copy.
  return parsed(await pending);
}

const parsed = (answer: Answer): AdapterPayload | undefined => (answer === undefined ? undefined : (JSON.parse(answer) as AdapterPayload));

/**
 * Unless `key` was read already in this request: one query answering it and several more keys (`read` resolves each
 * key to its answer, an absent key to "not there"). Every key not yet read is answered by it, including keys the
 * caller only learns from the answer (`read` may add them), unless the request wrote in between.
 */
export function readTogether(key: string, keys: readonly string[], read: () => Promise<Map<string, Answer>>): void {
  const memo = requestMemo.getStore();
  if (!memo || memo.reads.has(key)) return;
  const writesBefore = memo.writes;
  const answers = read();
  for (const other of keys) {
    if (memo.reads.has(other)) continue;
    const pending = answers.then((found) => found.get(other));
    memo.reads.set(other, pending);
    pending.catch(() => memo.reads.delete(other));
  }
  answers.then((found) => {
    if (memo.writes !== writesBefore) return;
    for (const [learnt, answer] of found) if (!memo.reads.has(learnt)) memo.reads.set(learnt, Promise.resolve(answer));
  }, () => undefined);
}

function forgetReads(models: readonly string[]): void {
  const memo = requestMemo.getStore();
  if (!memo) return;
  memo.writes++;
  for (const key of memo.reads.keys()) if (models.some((model) => key.startsWith(`${model}:`))) memo.reads.delete(key);
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
