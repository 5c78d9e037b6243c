// Delivers queued SMS to an HTTP gateway (production). Each message is posted once it is committed;
// after delivery its text is erased from the outbox, since it may hold a password or a code. A refused or failed
// send is retried after a growing pause, until what it carries is worthless (an expired code) or, for messages
// that never expire (a first password cannot be resent), until giveUpSeconds after it was queued.
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { recordAudit } from '../audit/audit.ts';
import type { Schema } from '../db/schema.ts';

export interface GatewayOptions {
  url: string;
  token: string | undefined;
  batchSize?: number;
  /** The pause after a message's first failed send; it doubles with each further failure, up to retryMaxSeconds. */
  retryBaseSeconds?: number;
  retryMaxSeconds?: number;
  /** How long after it was queued a message still undelivered is given up (default 24 h). */
  giveUpSeconds?: number;
  /** How long a claim keeps other dispatchers off a message (default 60 s; a send times out after 10 s). */
  claimSeconds?: number;
  fetch?: typeof fetch;
  /** The time claims are measured in; tests pass a clock they move. */
  now?: () => Date;
}

/** One pass over pending messages; returns how many were delivered. */
export async function deliverPendingSms(db: Kysely<Schema>, logger: Logger, options: GatewayOptions): Promise<number> {
  const send = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const claimMs = (options.claimSeconds ?? 60) * 1000;
  const retryBaseMs = (options.retryBaseSeconds ?? 5) * 1000;
  const retryMaxMs = (options.retryMaxSeconds ?? 900) * 1000;
  const giveUpMs = (options.giveUpSeconds ?? 86_400) * 1000;
  const claimedAt = now();
  const claim = new Date(claimedAt.getTime() + claimMs);
  // Codes that expired before they could go (the gateway was down, the queue long) are dropped, never sent late.
  const expired = await db
    .updateTable('sms_outbox')
    .set({ body: null, last_error: 'expired before delivery' })
    .where('delivered_at', 'is', null)
    .where('body', 'is not', null)
    .where('expires_at', '<=', claimedAt)
    .returning(['id', 'purpose'])
    .execute();
  for (const message of expired) {
    logger.warn({ event: 'sms.expired', sms: message.id, purpose: message.purpose }, 'SMS expired before delivery; not sent');
    await recordAudit(db, { actor: { type: 'system' }, action: 'sms.expired', subject: { type: 'sms', id: String(message.id) }, detail: { purpose: message.purpose } });
  }
  // A message the gateway kept refusing for the whole bound: its text is erased and the operator told, loudly,
  // since someone is now without their first password or notice.
  const givenUp = await db
    .updateTable('sms_outbox')
    .set({ body: null, last_error: sql<string>`left('given up: ' || coalesce(last_error, 'never sent'), 200)` })
    .where('delivered_at', 'is', null)
    .where('body', 'is not', null)
    .where('created_at', '<=', new Date(claimedAt.getTime() - giveUpMs))
    .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<', claimedAt)]))
    .returning(['id', 'purpose', 'attempts'])
    .execute();
  for (const message of givenUp) {
    const detail = { purpose: message.purpose, attempts: message.attempts, hours: Math.round(giveUpMs / 3_600_000) };
    logger.error({ event: 'sms.given_up', sms: message.id, ...detail }, 'SMS given up: the gateway did not take it within SMS_GIVE_UP_HOURS; its text is erased');
    await recordAudit(db, { actor: { type: 'system' }, action: 'sms.given_up', subject: { type: 'sms', id: String(message.id) }, detail });
  }
  // Claim a batch atomically (SKIP LOCKED): concurrent dispatchers on other instances take other rows.
  const pending = await db
    .updateTable('sms_outbox')
    .set((eb) => ({ claimed_until: claim, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('sms_outbox')
        .select('id')
        .where('delivered_at', 'is', null)
        .where('body', 'is not', null)
        .where((w) => w.or([w('claimed_until', 'is', null), w('claimed_until', '<', claimedAt)]))
        .orderBy('id')
        .limit(options.batchSize ?? 50)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'recipient', 'body', 'attempts', 'purpose'])
    .execute();
  let delivered = 0;
  // Oldest first (RETURNING keeps no order): a code does not wait behind messages queued after it.
  pending.sort((a, b) => Number(a.id) - Number(b.id));
  for (const message of pending) {
    // A slow batch can outlive its claim, and another dispatcher may have taken the rest over meanwhile:
    // renew the claim just before sending, and send only what is still ours and, for a code, still valid (one that
    // expired while the batch went out is dropped by the next pass, never sent late).
    const sendingAt = now();
    const renewed = new Date(sendingAt.getTime() + claimMs);
    const ours = await db
      .updateTable('sms_outbox')
      .set({ claimed_until: renewed })
      .where('id', '=', message.id)
      .where('claimed_until', '=', claim)
      .where('delivered_at', 'is', null)
      .where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', sendingAt)]))
      .executeTakeFirst();
    if (Number(ours.numUpdatedRows) === 0) continue;
    try {
      const response = await send(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) },
        body: JSON.stringify({ to: message.recipient, text: message.body, reference: String(message.id) }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel().catch(() => {});
      if (!response.ok) throw new Error(`gateway answered ${response.status}`);
      await db.updateTable('sms_outbox').set({ delivered_at: now(), body: null, last_error: null }).where('id', '=', message.id).execute();
      logger.info({ event: 'sms.delivered', sms: message.id, purpose: message.purpose }, 'SMS delivered');
      await recordAudit(db, { actor: { type: 'system' }, action: 'sms.delivered', subject: { type: 'sms', id: String(message.id) }, detail: { purpose: message.purpose } });
      delivered++;
    } catch (error) {
      const reason = (error as Error).message.slice(0, 200);
      // Kept for a later pass, after a pause that grows with each failure (the claim keeps dispatchers off it
      // until then): a gateway down for an hour is asked a few dozen times, not every pass.
      const retryInMs = Math.min(retryBaseMs * 2 ** Math.min(message.attempts - 1, 30), retryMaxMs);
      await db
        .updateTable('sms_outbox')
        .set({ claimed_until: new Date(now().getTime() + retryInMs), last_error: reason })
        .where('id', '=', message.id)
        .where('claimed_until', '=', renewed)
        .execute();
      const retryInSeconds = Math.round(retryInMs / 1000);
      logger.warn({ event: 'sms.failed', sms: message.id, purpose: message.purpose, attempts: message.attempts, reason, retryInSeconds }, 'SMS delivery failed; it will be retried');
      await recordAudit(db, { actor: { type: 'system' }, action: 'sms.failed', subject: { type: 'sms', id: String(message.id) }, detail: { purpose: message.purpose, reason, retryInSeconds } });
    }
  }
  return delivered;
}
