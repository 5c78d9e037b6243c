// Chooses where rate limits are counted: Redis when REDIS_URL is set, else the database. Both are shared by
// every instance, so the limits are the same with one instance or many.
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Schema } from '../db/schema.ts';
import { databaseHitCounter } from './rate-limit-counters.ts';
import { sharedRateLimitStore, type HitCounter } from './rate-limit-store.ts';
import { redisHitCounter } from './redis-counter.ts';

export interface RateLimitStore {
  store: FastifyRateLimitStoreCtor;
  close(): Promise<void>;
}

export async function rateLimitStore(deps: { redis: Config['redis']; db: Kysely<Schema>; logger: Logger; now: () => Date }): Promise<RateLimitStore> {
  const backend = deps.redis ? 'redis' : 'database';
  const warn = oncePerMinute((error: unknown) =>
    // The message only: a driver's error detail may carry the key, which holds a client address.
    deps.logger.warn({ backend, error: error instanceof Error ? error.message : String(error) }, 'rate limits cannot be counted in the shared store; counting per instance until it answers'),
  );
  let counter: HitCounter;
  let close = async () => {};
  if (deps.redis) {
    const redis = await redisHitCounter(deps.redis, warn);
    counter = redis;
    close = () => redis.close();
  } else {
    counter = databaseHitCounter(deps.db, deps.now);
  }
  return { store: sharedRateLimitStore(counter, { now: deps.now, onUnreachable: warn }), close };
}

function oncePerMinute(log: (error: unknown) => void) {
  let last = 0;
  return (error: unknown) => {
    const at = Date.now();
    if (at - last < 60_000) return;
    last = at;
    log(error);
  };
}
