// Each instance follows the signing keys in the database without a restart: it reloads them every few seconds
// and at the instant of the next activation or withdrawal, and swaps the changed key set into its provider.
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.ts';
import { keySetAt, nextChange } from './key-lifecycle.ts';
import { signingKeyRows } from './keys.ts';
import { replaceSigningKeys } from './keystore-internals.ts';

export interface KeyFollower {
  /** Reloads the keys now (the timer calls it; a test whose clock it moves does too). Resolves once applied. */
  refresh(): Promise<void>;
  /** The kids the provider publishes, in its order: each alg's signing key first. */
  current(): string[];
  /** Stops reloading; resolves once a reload under way has finished. */
  stop(): Promise<void>;
}

export function followSigningKeys(deps: {
  db: Kysely<Schema>;
  provider: Provider;
  initial: { kid?: string }[];
  now: () => Date;
  reloadSeconds: number;
  logger: Logger;
}): KeyFollower {
  let kids = deps.initial.map((key) => key.kid!);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function load(): Promise<Date | undefined> {
    const now = deps.now();
    const rows = await signingKeyRows(deps.db, now);
    const set = keySetAt(rows, now);
    // Never swap in a set that cannot sign every alg (keys deleted by hand): keep signing with what we have.
    if (set.missing.length) {
      deps.logger.error({ missing: set.missing }, 'signing keys: no active key for some algorithms in the database; keeping the current keys');
    } else if (set.keys.map((key) => key.kid).join() !== kids.join()) {
      replaceSigningKeys(deps.provider, set.keys);
      deps.logger.info({ from: kids, to: set.keys.map((key) => key.kid) }, 'signing keys changed');
      kids = set.keys.map((key) => key.kid!);
    }
    return nextChange(rows, now);
  }

  function schedule(change: Date | undefined) {
    if (stopped) return;
    // The regular reload, or the moment of the next change if sooner (a few ms after, so that it has happened).
    const untilChange = change ? change.getTime() - deps.now().getTime() + 5 : Infinity;
    timer = setTimeout(() => void refresh(), Math.max(0, Math.min(deps.reloadSeconds * 1000, untilChange)));
    timer.unref();
  }

  // One reload at a time: a refresh asked for during one runs after it (a load never rejects).
  let chain: Promise<void> = Promise.resolve();
  function refresh(): Promise<void> {
    chain = chain.then(async () => {
      clearTimeout(timer);
      let change: Date | undefined;
      try {
        change = await load();
      } catch (error) {
        // The database is away: the keys we have stay valid; try again at the next reload.
        deps.logger.warn({ err: error }, 'signing keys: reload failed');
      }
      schedule(change);
    });
    return chain;
  }

  // At once: a key stored since these were loaded, or an activation due before the first regular reload.
  void refresh();
  return {
    refresh,
    current: () => [...kids],
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await chain;
    },
  };
}
