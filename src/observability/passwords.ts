// The argon2 queue: how many hashes and verifications are under way, and how long each takes. argon2 runs on
// libuv's thread pool; work beyond its size waits there, which is what a growing in-flight count shows.
import type { PasswordHasher } from '../accounts/passwords.ts';
import type { Metrics } from './metrics.ts';

/** libuv's pool: UV_THREADPOOL_SIZE when set (1–1024), 4 otherwise. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, 1024) : 4;
}

export function observedHasher(hasher: PasswordHasher, metrics: Metrics): PasswordHasher {
  metrics.argon2Threads.set(threadPoolSize());
  async function timed<T>(operation: 'hash' | 'verify', work: () => Promise<T>): Promise<T> {
    metrics.argon2InFlight.inc();
    const stop = metrics.argon2Duration.startTimer({ operation });
    try {
      return await work();
    } finally {
      stop();
      metrics.argon2InFlight.dec();
    }
  }
  return {
    hash: (password) => timed('hash', () => hasher.hash(password)),
    verify: (stored, password) => timed('verify', () => hasher.verify(stored, password)),
    // The decoy verification of an unknown ID number costs as much as a real one, and is one.
    verifyNothing: (password) => timed('verify', () => hasher.verifyNothing(password)),
    // In flight above counts these too: a hash waiting for one of this worker's slots is work under way.
    queued: () => hasher.queued(),
  };
}
