// The append-only audit trail: who did what to which subject, when and from where (table audit_events).
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';

export interface AuditEvent {
  actor: { type: 'officer' | 'citizen' | 'system' | 'operator'; id?: string | undefined };
  action: string;
  subject?: { type: string; id: string } | undefined;
  /** Facts about the action; never secrets, and personal data only where the record needs it (IDs, not values). */
  detail?: Record<string, unknown>;
  ip?: string | undefined;
  at?: Date;
}

export async function recordAudit(db: Kysely<Schema> | Transaction<Schema>, event: AuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      actor_type: event.actor.type,
      actor_id: event.actor.id ?? null,
      action: event.action,
      subject_type: event.subject?.type ?? null,
      subject_id: event.subject?.id ?? null,
      detail: JSON.stringify(event.detail ?? {}),
      ip: event.ip ?? null,
      ...(event.at ? { at: event.at } : {}),
    })
    .execute();
}

export async function auditTrail(db: Kysely<Schema>, subject: { type: string; id: string }) {
  return db
    .selectFrom('audit_events')
    .select(['at', 'actor_type', 'actor_id', 'action', 'detail', 'ip'])
    .where('subject_type', '=', subject.type)
    .where('subject_id', '=', subject.id)
    .orderBy('id')
    .execute();
}
