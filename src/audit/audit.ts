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

const row = (event: AuditEvent) => ({
  actor_type: event.actor.type,
  actor_id: event.actor.id ?? null,
  action: event.action,
  subject_type: event.subject?.type ?? null,
  subject_id: event.subject?.id ?? null,
  detail: JSON.stringify(event.detail ?? {}),
  ip: event.ip ?? null,
  ...(event.at ? { at: event.at } : {}),
});

export async function recordAudit(db: Kysely<Schema> | Transaction<Schema>, event: AuditEvent): Promise<void> {
  await db.insertInto('audit_events').values(row(event)).execute();
}

/** Several events in one statement (an officer's read of a list: one event per record shown). */
export async function recordAudits(db: Kysely<Schema> | Transaction<Schema>, events: AuditEvent[]): Promise<void> {
  if (events.length) await db.insertInto('audit_events').values(events.map(row)).execute();
}

/** The events about any of these subjects (one record known under several: an account and its citizen), oldest first. */
export async function auditTrail(db: Kysely<Schema>, ...subjects: { type: string; id: string }[]) {
  return db
    .selectFrom('audit_events')
    .select(['at', 'actor_type', 'actor_id', 'action', 'detail', 'ip'])
    .where((eb) => eb.or(subjects.map((s) => eb.and([eb('subject_type', '=', s.type), eb('subject_id', '=', s.id)]))))
    .orderBy('id')
    .execute();
}
