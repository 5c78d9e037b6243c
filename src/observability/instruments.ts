// Everything one app instance measures, wired once: buildApp hands the database, the password hasher, the
// provider and the sign-in flow to these, and the plugin (plugin.ts) serves the registry at /metrics.
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { PasswordHasher } from '../accounts/passwords.ts';
import type { Database } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import { SIGN_IN_OUTCOMES, type SignInObserver } from '../interactions/sign-in-outcome.ts';
import { observeQueries, poolGauges } from './database.ts';
import { defineMetrics, type Metrics } from './metrics.ts';
import { observedHasher } from './passwords.ts';
import { smsQueueGauge } from './sms-queue.ts';
import { countTokens } from './tokens.ts';

export interface Instruments {
  metrics: Metrics;
  /** The database as the app should use it: every query timed. */
  observeQueries(db: Kysely<Schema>): Kysely<Schema>;
  observePasswords(hasher: PasswordHasher): PasswordHasher;
  signIns: SignInObserver;
  observeProvider(provider: Provider): void;
}

export function instruments(deps: { database: Database; logger: Logger }): Instruments {
  const metrics = defineMetrics();
  poolGauges(deps.database, metrics.registry);
  // Its own count, on the database as given: scrapes do not show up in the app's query latency.
  smsQueueGauge(deps.database.db, metrics.registry, deps.logger);
  // Every outcome at both levels from the start, so a rate over a quiet series is 0, not missing.
  for (const outcome of SIGN_IN_OUTCOMES) {
    for (const level of ['1', '2']) metrics.signIns.inc({ outcome, level }, 0);
  }
  return {
    metrics,
    observeQueries: (db) => observeQueries(db, metrics),
    observePasswords: (hasher) => observedHasher(hasher, metrics),
    signIns: (outcome, level) => metrics.signIns.inc({ outcome, level: String(level) }),
    observeProvider: (provider) => countTokens(provider, metrics),
  };
}
