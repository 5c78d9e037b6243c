// Delivers queued SMS to an HTTP gateway (production). Each message is posted once it is committed;
// after delivery its text is erased from the outbox, since it may hold a password or a code.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.ts';

export interface GatewayOptions {
  url: string;
  token: string | undefined;
  batchSize?: number;
  maxAttempts?: number;
  fetch?: typeof fetch;
}

/** One pass over pending messages; returns how many were delivered. */
export async function deliverPendingSms(db: Kysely<Schema>, logger: Logger, options: GatewayOptions): Promise<number> {
  const send = options.fetch ?? fetch;
  const now = new Date();
  // Claim a batch atomically (SKIP LOCKED): concurrent dispatchers on other instances take other rows.
  const pending = await db
    .updateTable('sms_outbox')
    .set((eb) => ({ claimed_until: new Date(now.getTime() + 60_000), attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('sms_outbox')
        .select('id')
        .where('delivered_at', 'is', null)
        .where('attempts', '<', options.maxAttempts ?? 5)
        .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<', now)]))
        .orderBy('id')
        .limit(options.batchSize ?? 50)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'recipient', 'body'])
    .execute();
  let delivered = 0;
  for (const message of pending) {
    try {
      const response = await send(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
        body: JSON.stringify({ to: message.recipient, text: message.body, reference: String(message.id) }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`gateway answered ${response.status}`);
      await db.updateTable('sms_outbox').set({ delivered_at: new Date(), body: null, last_error: null }).where('id', '=', message.id).execute();
      delivered++;
    } catch (error) {
      const reason = (error as Error).message.slice(0, 200);
      await db.updateTable('sms_outbox').set({ claimed_until: null, last_error: reason }).where('id', '=', message.id).execute();
      logger.warn({ sms: message.id, reason }, 'SMS delivery failed');
    }
  }
  return delivered;
}
