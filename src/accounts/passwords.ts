// Password hashing with argon2id (OWASP parameters by default, tunable by configuration).
// argon2 runs in libuv's thread pool, never on the event loop; at most `concurrency` hashes run at once per
// process and the rest wait their turn, so a burst of sign-ins queues instead of thrashing the cores.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';

export interface Argon2Params {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
  /** Hashes computed at once in this process; absent: one per core. */
  concurrency?: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the time of one verification without an account, so an unknown ID number answers as slowly as a known one. */
  verifyNothing(password: string): Promise<void>;
  /** Hashes waiting for a free slot (for metrics and the benchmark). */
  queued(): number;
}

export function passwordHasher({ concurrency, ...params }: Argon2Params): PasswordHasher {
  const options = { type: argon2.argon2id as 2, ...params };
  const slots = slotsOf(concurrency ?? availableParallelism());
  // One password however the keyboard composed its diacritics (Vietnamese input sends either form).
  const nfc = (password: string) => password.normalize('NFC');
  const hash = (password: string) => slots.run(() => argon2.hash(nfc(password), options));
  const verify = (stored: string, password: string) => slots.run(() => argon2.verify(stored, nfc(password)));
  let decoy: Promise<string> | undefined;
  return {
    hash,
    async verify(stored, password) {
      try {
        return await verify(stored, password);
      } catch {
        return false; // a malformed stored hash is a failed sign-in, never a crash
      }
    },
    async verifyNothing(password) {
      decoy ??= hash(randomBytes(16).toString('base64url'));
      await verify(await decoy, password).catch(() => false);
    },
    queued: () => slots.waiting(),
  };
}

/** A counting semaphore: first come, first served. */
function slotsOf(size: number) {
  let free = Math.max(1, size);
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return {
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await work();
      } finally {
        release();
      }
    },
    waiting: () => waiting.length,
  };
}
