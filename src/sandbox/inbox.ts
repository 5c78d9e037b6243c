// The sandbox's SMS inbox: what was sent to the phones of sandbox accounts (sign-in codes, first passwords, reset
// codes), newest first, so a developer can read them without SQL. Never another citizen's message: a phone that
// also belongs to an account outside the sandbox is left out.
import type { Kysely } from 'kysely';
import type { Schema, SmsPurpose } from '../db/schema.ts';

export interface InboxMessage {
  id: number;
  to: string;
  purpose: SmsPurpose;
  text: string;
  /** The code or first password the message carries. */
  secret: string | undefined;
  sentAt: string;
  expiresAt: string | null;
  /** Still usable: not expired, not used, not replaced by a newer one. */
  live: boolean;
}

const SECRET = {
  sign_in_code: /\b(\d{6})\b/,
  password_reset: /\b(\d{6})\b/,
  first_password: /lần đầu: (\S+) \./,
  device_bound: undefined,
  phone_changed: undefined,
} satisfies Record<SmsPurpose, RegExp | undefined>;

export async function sandboxInbox(db: Kysely<Schema>, now: Date, options: { phone?: string; limit?: number } = {}): Promise<InboxMessage[]> {
  const sandboxIds = db.selectFrom('sandbox_seed').select('key').where('kind', '=', 'citizen');
  const sandboxPhones = db.selectFrom('accounts').select('phone').where('personal_id', 'in', sandboxIds).where('phone', 'is not', null);
  const otherPhones = db.selectFrom('accounts').select('phone').where('personal_id', 'not in', sandboxIds).where('phone', 'is not', null);
  let query = db
    .selectFrom('sms_outbox as m')
    .select(['m.id', 'm.recipient', 'm.purpose', 'm.body', 'm.created_at', 'm.expires_at'])
    // A code is live while the row that checks it still holds this message's expiry: a resend replaces the row,
    // a successful use deletes it.
    .select((eb) =>
      eb
        .case()
        .when('m.purpose', '=', 'sign_in_code')
        .then(eb.exists(eb.selectFrom('sign_in_codes as c').innerJoin('accounts as a', 'a.id', 'c.account_id').whereRef('a.phone', '=', 'm.recipient').whereRef('c.expires_at', '=', 'm.expires_at')))
        // A notice carries nothing to use.
        .when('m.purpose', 'in', ['device_bound', 'phone_changed'])
        .then(eb.lit(false))
        .when('m.purpose', '=', 'password_reset')
        .then(eb.exists(eb.selectFrom('password_reset_codes as r').innerJoin('accounts as a', 'a.id', 'r.account_id').whereRef('a.phone', '=', 'm.recipient').whereRef('r.expires_at', '=', 'm.expires_at')))
        // A first password works until the citizen has chosen their own.
        .else(eb.exists(eb.selectFrom('accounts as a').select('a.id').whereRef('a.phone', '=', 'm.recipient').where('a.password_must_change', '=', true)))
        .end()
        .as('usable'),
    )
    .where('m.recipient', 'in', sandboxPhones)
    .where('m.recipient', 'not in', otherPhones)
    .orderBy('m.id', 'desc')
    .limit(options.limit ?? 100);
  if (options.phone) query = query.where('m.recipient', '=', options.phone);
  const rows = await query.execute();
  return rows.map((row) => {
    const text = row.body ?? '';
    const expired = row.expires_at !== null && row.expires_at <= now;
    return {
      id: Number(row.id),
      to: row.recipient,
      purpose: row.purpose,
      text,
      secret: SECRET[row.purpose]?.exec(text)?.[1],
      sentAt: row.created_at.toISOString(),
      expiresAt: row.expires_at?.toISOString() ?? null,
      live: Boolean(row.usable) && !expired,
    };
  });
}

