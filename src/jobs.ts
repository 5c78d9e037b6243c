// Background jobs: the purge of expired rows (on the embedded engine, the vacuum after it) and SMS delivery to the
// gateway. Once per database, not once per instance: only the instance holding the jobs' advisory lock runs a pass
// (src/db/leader.ts).
import type { Logger } from 'pino';
import { purgeAllowances } from './accounts/code-allowance.ts';
import { purgeSignInFailures } from './accounts/lockout.ts';
import { purgeSignInCodes } from './accounts/second-factor.ts';
import { purgeOfficerSessions } from './admin/officers.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { leadership } from './db/leader.ts';
import { ADVISORY_LOCKS } from './db/locks.ts';
import { vacuumWhereDue } from './db/upkeep.ts';
import { purgeRateLimitCounters } from './http/rate-limit-counters.ts';
import { deliverPendingSms } from './notify/gateway.ts';
import { purgeExpired } from './oidc/adapter.ts';
import { purgeCibaRequests } from './devices/ciba-requests.ts';
import { purgeQrSignInRequests } from './devices/qr-sign-in/requests.ts';
import { purgeEnrolments } from './devices/enrolment.ts';
import { purgeProofJtis } from './devices/proof-replay.ts';

/** Starts the jobs; the returned function stops them and lets go of the lock. */
export function startBackgroundJobs(database: Database, config: Config, logger: Logger, now: () => Date): () => Promise<void> {
  const db = database.db;
  const leader = leadership(database, ADVISORY_LOCKS.backgroundJobs, logger);
  const jobs = [
    every(config.purgeIntervalSeconds, 'purge', async () => {
      const count = await purgeExpired(db);
      await purgeSignInFailures(db, config.lockout, now());
      await purgeOfficerSessions(db, now());
      await purgeSignInCodes(db, now());
      await purgeAllowances(db, now());
      await purgeRateLimitCounters(db, now());
      await purgeCibaRequests(db, now());
      await purgeQrSignInRequests(db, now());
      await purgeProofJtis(db, now());
      await purgeEnrolments(db, now());
      if (count > 0) logger.debug({ count }, 'purged expired provider artifacts');
      // The embedded engine has no autovacuum: the rows just purged would only pile up (src/db/upkeep.ts).
      const started = performance.now();
      const vacuumed = await vacuumWhereDue(database);
      if (vacuumed.length > 0) logger.debug({ tables: vacuumed, ms: Math.round(performance.now() - started) }, 'vacuumed and analyzed the embedded database');
    }),
  ];
  const gateway = config.smsGateway;
  if (gateway) jobs.push(every(gateway.intervalSeconds, 'sms delivery', () => deliverPendingSms(db, logger, { ...gateway, now })));

  function every(seconds: number, name: string, job: () => Promise<unknown>) {
    // A pass still running when the next is due is not joined by another.
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      leader
        .lead()
        .then(async (leading) => {
          if (!leading) return;
          logger.debug({ job: name }, 'background job pass');
          await job();
        })
        .catch((error: unknown) => logger.warn({ err: error }, `${name} failed`))
        .finally(() => (running = false));
    }, seconds * 1000);
    timer.unref();
    return timer;
  }

  return async () => {
    jobs.forEach(clearInterval);
    await leader.close();
  };
}
