// The store @fastify/rate-limit counts in: shared by all instances (database or Redis), never a 500 when the
// shared counter is unreachable — then each instance counts on its own and the log says so.
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';

/**
 * The forms that prove a password or a code (sign-in, reset, SMS code, the app's enrolment): one budget per address
 * (SIGN_IN_RATE_PER_MINUTE) over them all, so another form is no fresh allowance for guessing.
 */
export const SIGN_IN_FORMS = 'sign-in-forms';

export interface HitCounter {
  /** Counts one hit on key in a fixed window of windowMs; the hits so far in the window and the ms it has left. */
  hit(key: string, windowMs: number): Promise<{ count: number; msLeft: number }>;
}

type Callback = Parameters<FastifyRateLimitStore['incr']>[1];

export function sharedRateLimitStore(
  counter: HitCounter,
  options: { now: () => Date; onUnreachable: (error: unknown) => void },
): FastifyRateLimitStoreCtor {
  const fallback = localCounter(options.now);

  class SharedStore implements FastifyRateLimitStore {
    readonly prefix: string;

    constructor(_settings: unknown, prefix = '') {
      this.prefix = prefix;
    }

    incr(key: string, callback: Callback, timeWindow: number): void {
      const fullKey = this.prefix + key;
      counter.hit(fullKey, timeWindow).then(
        ({ count, msLeft }) => callback(null, { current: count, ttl: msLeft }),
        (error: unknown) => {
          // Failing closed would turn a Redis or database hiccup into refused sign-ins everywhere; failing open
          // would drop the limit. Counting per instance keeps a limit (per-number lockout stays in the database).
          options.onUnreachable(error);
          const { count, msLeft } = fallback.hit(fullKey, timeWindow);
          callback(null, { current: count, ttl: msLeft });
        },
      );
    }

    child(routeOptions: unknown): FastifyRateLimitStore {
      // The plugin passes the route's merged limit options, the route itself under routeInfo (index.js onRoute).
      // Routes of one group (groupId) share one count: the plugin appends the group to the key itself.
      const options = routeOptions as { groupId?: unknown; routeInfo?: { method?: unknown; url?: unknown } };
      if (typeof options.groupId === 'string') return new SharedStore(undefined, 'group ');
      const route = options.routeInfo ?? {};
      return new SharedStore(undefined, `${String(route.method ?? '')} ${String(route.url ?? '')} `);
    }
  }
  return SharedStore;
}

/** Per-instance counts, only while the shared counter is unreachable. */
function localCounter(now: () => Date) {
  const windows = new Map<string, { count: number; endsAt: number }>();
  return {
    hit(key: string, windowMs: number) {
      const at = now().getTime();
      if (windows.size > 10_000) for (const [k, w] of windows) if (w.endsAt <= at) windows.delete(k);
      const window = windows.get(key);
      if (!window || window.endsAt <= at) {
        windows.set(key, { count: 1, endsAt: at + windowMs });
        return { count: 1, msLeft: windowMs };
      }
      window.count += 1;
      return { count: window.count, msLeft: window.endsAt - at };
    },
  };
}
