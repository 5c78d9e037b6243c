// SMS to citizens' phones go through the outbox table: written in the caller's transaction, delivered
// afterwards by the gateway dispatcher (production) or read from the table (development, sandbox, tests).
import type { Kysely, Transaction } from 'kysely';
import { recordAudit } from '../audit/audit.ts';
import type { Schema, SmsPurpose } from '../db/schema.ts';

export interface SmsMessage {
  to: string; // E.164
  purpose: SmsPurpose;
  text: string;
  /** When it was queued, by the caller's clock (limits per day count by it). */
  at?: Date;
  /** When what it carries (a one-time code) stops being valid: after that it is never sent. */
  expiresAt?: Date;
}

/** Queues a message in the caller's transaction, and records that it was queued (purpose only) in the audit trail. */
export async function queueSms(db: Kysely<Schema> | Transaction<Schema>, message: SmsMessage): Promise<void> {
  const row = await db
    .insertInto('sms_outbox')
    .values({ recipient: message.to, purpose: message.purpose, body: message.text, expires_at: message.expiresAt ?? null, ...(message.at ? { created_at: message.at } : {}) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAudit(db, { actor: { type: 'system' }, action: 'sms.queued', subject: { type: 'sms', id: String(row.id) }, detail: { purpose: message.purpose }, ...(message.at ? { at: message.at } : {}) });
}

/** Messages still waiting in the outbox for a phone, newest first (sandbox console and tests). */
export async function outboxFor(db: Kysely<Schema>, phone: string) {
  return db
    .selectFrom('sms_outbox')
    .select(['id', 'purpose', 'body', 'created_at', 'delivered_at'])
    .where('recipient', '=', phone)
    .orderBy('id', 'desc')
    .execute();
}

/** Messages not yet delivered (nor dropped as expired): the SMS queue's depth, read through its partial index. */
export async function pendingSmsCount(db: Kysely<Schema>): Promise<number> {
  const row = await db
    .selectFrom('sms_outbox')
    .select((eb) => eb.fn.countAll<number>().as('pending'))
    .where('delivered_at', 'is', null)
    .where('body', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.pending);
}
