// Within one HTTP request the provider reads the same interaction and session several times (our page reads them,
// then interactionResult reads them again). Each read is a database round trip; the first answer serves the rest
// of the request, and any write of that model in the request forgets what was read. A read may also bring what
// the request will ask for next (a token's grant and session): those answers are kept the same way.
// In the provider's own requests, writes may also wait for the end of the request and go in one statement with
// the others (`later`): a resume that ends an interaction, starts the next and saves the session writes once.
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
  /** Writes held for the end of the request, by what they write (a later write of the same thing replaces one held). */
  later: Map<string, LaterWrite> | undefined;
  /** The held writes being written, if any: reads and further writes wait for them. */
  writingLater: Promise<void> | undefined;
  /** What the request found stored (see `noteFound`). */
  found: Set<string> | undefined;
}

/** A write held for later, and how its kind is written: several held writes of one kind go in one call. */
interface LaterWrite {
  write: unknown;
  writeAll: (writes: unknown[]) => Promise<void>;
}
const requestMemo = new AsyncLocalStorage<Memo>();

// oidc-provider's resume route (lib/helpers/defaults.js: authorization `/auth`, resumed at `/auth/:uid`), whose
// uids are its nanoids.
const RESUME_PATH = /^\/auth\/([A-Za-z0-9_-]{1,64})(?:\?|$)/;

/** Runs `next` (the rest of the request's hooks and handler) with a memo of its own; `url` is the request's. */
export function withRequestMemo(next: () => void, url = ''): void {
  requestMemo.run({ reads: new Map(), writes: 0, resuming: RESUME_PATH.exec(url)?.[1], later: undefined, writingLater: undefined, found: undefined }, next);
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
    // What the request holds to write is written first: the database answers as if nothing waited.
    pending = memo.later?.size || memo.writingLater ? writeHeld().then(read) : read();
    memo.reads.set(key, pending);
    pending.catch(() => memo.reads.delete(key));
  }
  // The provider builds mutable models from a payload: each reader gets its own copy.
  return parsed(await pending);
}

/** Records that this request found `key` stored: a later write of it in the request updates what is there, or fails. */
export function noteFound(key: string): void {
  const memo = requestMemo.getStore();
  if (memo) (memo.found ??= new Set()).add(key);
}

/** The request ends `key` itself: a write of it afterwards creates it again. */
export function forgetFound(key: string): void {
  requestMemo.getStore()?.found?.delete(key);
}

/** Whether this request found `key` stored (outside a request: unknown, so no). */
export function wasFound(key: string): boolean {
  return requestMemo.getStore()?.found?.has(key) ?? false;
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
  const answers = memo.later?.size || memo.writingLater ? writeHeld().then(read) : read();
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

/** From here to the end of the request, writes made through `writeLater` wait for `writeHeld` (the provider's requests). */
export function holdWrites(): void {
  const memo = requestMemo.getStore();
  if (memo && !memo.later) memo.later = new Map();
}

/**
 * A write of `key` (of these models) that may wait for the end of the request, when the request holds its writes;
 * otherwise `now` writes it at once. Held, it replaces any write of the same key held before it, and `writeAll`
 * later writes it with the others of its kind in one call.
 */
export function writeLater<W>(models: readonly string[], key: string, write: W, writeAll: (writes: W[]) => Promise<void>, now: () => Promise<void>): Promise<void> {
  const memo = requestMemo.getStore();
  if (!memo?.later) {
    // After the request's own writing has begun (events, work it left running): after it, never beside it.
    const pending = memo?.writingLater;
    return pending ? pending.catch(() => undefined).then(() => writing(models, now)) : writing(models, now);
  }
  forgetReads(models);
  memo.later.delete(key);
  memo.later.set(key, { write, writeAll: writeAll as LaterWrite['writeAll'] });
  return Promise.resolve();
}

/** Writes what the request holds, in one call per kind, after any such writing already under way. */
export function writeHeld(): Promise<void> {
  const memo = requestMemo.getStore();
  if (!memo) return Promise.resolve();
  if (memo.later && memo.later.size > 0) {
    const held = [...memo.later.values()];
    memo.later.clear();
    const before = memo.writingLater ?? Promise.resolve();
    const now = before.then(() => writeEachKind(held));
    memo.writingLater = now;
    // Once written, reads need not wait; a failure stays, and fails every later read and the request's end.
    now.then(() => { if (memo.writingLater === now) memo.writingLater = undefined; }, () => undefined);
  }
  return memo.writingLater ?? Promise.resolve();
}

/** Writes what the request holds, and holds nothing more: what it writes after this (events, work it left running) goes at once. */
export function writeHeldAndStop(): Promise<void> {
  const written = writeHeld();
  const memo = requestMemo.getStore();
  if (memo) memo.later = undefined;
  return written;
}

async function writeEachKind(held: LaterWrite[]): Promise<void> {
  const kinds = new Map<LaterWrite['writeAll'], unknown[]>();
  for (const { write, writeAll } of held) kinds.set(writeAll, [...(kinds.get(writeAll) ?? []), write]);
  for (const [writeAll, writes] of kinds) await writeAll(writes);
}
