// Rate-limit hits counted in Redis (REDIS_URL), shared by every instance that uses the same Redis and prefix.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { HitCounter } from './rate-limit-store.ts';

// A window starts with the first hit and ends by expiry; the script keeps INCR and its expiry together.
const HIT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) end
return {hits, left}`;

export interface RedisHitCounter extends HitCounter {
  close(): Promise<void>;
}

export async function redisHitCounter(
  options: { url: string; keyPrefix: string },
  onError: (error: Error) => void,
): Promise<RedisHitCounter> {
  // Fail fast while Redis is away (no queueing, no long retries): a sign-in must not wait on it.
  const client = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  client.on('error', onError);
  // Start whether or not Redis answers now; the store counts per instance until it does.
  await Promise.race([once(client, 'ready').catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  return {
    async hit(key, windowMs) {
      const [count, msLeft] = (await client.eval(HIT, 1, key, windowMs)) as [number, number];
      return { count, msLeft };
    },
    async close() {
      client.disconnect();
    },
  };
}
