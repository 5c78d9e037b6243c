// SMS queue depth, read at scrape time with one count over the outbox's pending index, cached a few seconds so
// that several scrapers (or a fast one) cost the database at most one count per interval.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Schema } from '../db/schema.ts';
import { pendingSmsCount } from '../notify/sms.ts';

export const SMS_QUEUE_CACHE_MS = 5000;

export function smsQueueGauge(db: Kysely<Schema>, registry: Registry, logger: Logger) {
  let cached: { at: number; value: number } | undefined;
  let reading: Promise<number> | undefined;
  new Gauge({
    name: 'dinhdanh_sms_queue_pending',
    help: `SMS queued and not yet delivered (read at most every ${SMS_QUEUE_CACHE_MS / 1000} s)`,
    registers: [registry],
    // Every worker counts the same database-wide queue: the primary keeps one count (the largest), not their sum.
    aggregator: 'max',
    async collect() {
      if (!cached || performance.now() - cached.at > SMS_QUEUE_CACHE_MS) {
        // Scrapes that arrive together share one count.
        reading ??= pendingSmsCount(db).finally(() => (reading = undefined));
        try {
          cached = { at: performance.now(), value: await reading };
        } catch (error) {
          // The rest of the scrape still answers; the depth is unknown (NaN) until the database answers again.
          logger.warn({ err: error }, 'SMS queue depth not read');
          this.set(Number.NaN);
          return;
        }
      }
      this.set(cached.value);
    },
  });
}
