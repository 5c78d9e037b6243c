// State changes of an existing account: password, lock and unlock. Each is audited by the caller's actor.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, type AuditEvent } from '../audit/audit.ts';
import type { Schema } from '../db/schema.ts';
import { unbindDevices } from '../devices/devices.ts';
import { queueSms } from '../notify/sms.ts';
import type { PasswordHasher } from './passwords.ts';
import { firstPasswordSms, generateFirstPassword } from './registration.ts';
import { maskPhone } from './phone.ts';

type Actor = AuditEvent['actor'];

/**
 * Ends an account's sessions, grants and tokens inside the caller's transaction (the provider's artifacts:
 * oidc/grants.ts). Returns what to do once that transaction has committed: telling the relying parties
 * (oidc/backchannel-logout.ts), which must not hear of a logout that was rolled back.
 */
export type EndSessions = (trx: Transaction<Schema>, accountId: string) => Promise<AfterCommit>;
export type AfterCommit = () => void;

export interface AccountLifecycle {
  /**
   * Sets a password the citizen chose (it no longer must change) and confirms the phone the code or SMS reached.
   * Whatever the old password opened (sessions, tokens) ends: it may be why the password changed. With
   * `resetCodeHash`, only if that reset code is still there, used up in the same transaction (false: nothing changed).
   */
  setPassword(accountId: string, password: string, context: { actor: Actor; ip?: string; reason: string; resetCodeHash?: string }): Promise<boolean>;
  /** A wrong password for this account, for its audit trail. */
  recordSignInFailure(accountId: string, context: { ip?: string }): Promise<void>;
  /** Locks after too many failed sign-ins, until the given time. Only an active account is locked this way. */
  lockForFailures(accountId: string, until: Date): Promise<void>;
  /** Lifts a lock from failed sign-ins: once its time has passed, or early when the citizen proved the phone. */
  liftFailureLock(accountId: string, options: { early: boolean }): Promise<boolean>;
  /** An officer's lock also ends the account's sessions, grants and tokens at once. */
  lockByOfficer(accountId: string, context: { officerId: string; reason: string; ip?: string }): Promise<boolean>;
  unlockByOfficer(accountId: string, context: { officerId: string; ip?: string }): Promise<boolean>;
  /**
   * A new phone, given in person at the desk (normalised E.164), verified there. Everything that reached or trusted the
   * old phone ends: codes sent to it, the devices bound (the old handset may be lost or stolen), browser sessions,
   * grants and tokens; the old phone is told, without the new number.
   */
  changePhoneByOfficer(accountId: string, phone: string, context: { officerId: string; reason: string; ip?: string }): Promise<'changed' | 'unchanged' | 'no_account' | 'revoked'>;
  /** Ends the account for good: it never signs in again, and its sessions, grants and tokens die now. */
  revokeByOfficer(accountId: string, context: { officerId: string; reason: string; ip?: string }): Promise<boolean>;
}

export function accountLifecycle(db: Kysely<Schema>, passwords: PasswordHasher, now: () => Date, endSessions: EndSessions): AccountLifecycle {
  return {
    async setPassword(accountId, password, { actor, ip, reason, resetCodeHash }) {
      const hash = await passwords.hash(password);
      const ended = await db.transaction().execute(async (trx) => {
        // A reset code is used up in the same transaction as the password it sets: of several requests carrying
        // it at once, one finds it (the others wait on its row, then find none), and a failure keeps it usable.
        // Any other password change voids a code sent before it.
        const used = await trx
          .deleteFrom('password_reset_codes')
          .where('account_id', '=', accountId)
          .$if(resetCodeHash !== undefined, (qb) => qb.where('code_hash', '=', resetCodeHash!))
          .executeTakeFirst();
        if (resetCodeHash !== undefined && Number(used.numDeletedRows) === 0) return undefined;
        await trx
          .updateTable('accounts')
          .set({ password_hash: hash, password_must_change: false, phone_verified: true, updated_at: now() })
          .where('id', '=', accountId)
          .execute();
        const afterCommit = await endSessions(trx, accountId);
        await recordAudit(trx, { actor, action: 'account.password_set', subject: { type: 'account', id: accountId }, detail: { reason }, ip, at: now() });
        return afterCommit;
      });
      ended?.();
      return ended !== undefined;
    },

    async recordSignInFailure(accountId, { ip }) {
      await recordAudit(db, { actor: { type: 'system' }, action: 'account.sign_in_failed', subject: { type: 'account', id: accountId }, ip, at: now() });
    },

    async lockForFailures(accountId, until) {
      const locked = await db
        .updateTable('accounts')
        .set({ status: 'locked', lock_reason: 'failed_sign_ins', locked_until: until, updated_at: now() })
        .where('id', '=', accountId)
        // An earlier lock from failures that ran out but was not lifted yet is renewed; an officer's lock stays.
        .where((w) => w.or([w('status', '=', 'active'), w('lock_reason', '=', 'failed_sign_ins')]))
        .executeTakeFirst();
      if (Number(locked.numUpdatedRows) > 0) {
        await recordAudit(db, { actor: { type: 'system' }, action: 'account.locked', subject: { type: 'account', id: accountId }, detail: { reason: 'failed_sign_ins', until: until.toISOString() }, at: now() });
      }
    },

    async liftFailureLock(accountId, { early }) {
      let query = db
        .updateTable('accounts')
        .set({ status: 'active', lock_reason: null, locked_until: null, updated_at: now() })
        .where('id', '=', accountId)
        .where('lock_reason', '=', 'failed_sign_ins');
      if (!early) query = query.where('locked_until', '<=', now());
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async lockByOfficer(accountId, { officerId, reason, ip }) {
      const ended = await db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('accounts')
          .set({ status: 'locked', lock_reason: 'officer', locked_until: null, updated_at: now() })
          .where('id', '=', accountId)
          .where('status', '!=', 'revoked')
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return undefined;
        const afterCommit = await endSessions(trx, accountId);
        await recordAudit(trx, { actor: { type: 'officer', id: officerId }, action: 'account.locked', subject: { type: 'account', id: accountId }, detail: { reason: 'officer', note: reason }, ip, at: now() });
        return afterCommit;
      });
      ended?.();
      return ended !== undefined;
    },

    async unlockByOfficer(accountId, { officerId, ip }) {
      return db.transaction().execute(async (trx) => {
        const account = await trx
          .updateTable('accounts')
          .set({ status: 'active', lock_reason: null, locked_until: null, updated_at: now() })
          .where('id', '=', accountId)
          .where('status', '=', 'locked')
          .returning('personal_id')
          .executeTakeFirst();
        if (!account) return false;
        // The failures that caused the lock are forgiven too, or the next mistake would lock again at once.
        await trx.deleteFrom('sign_in_failures').where('personal_id', '=', account.personal_id).execute();
        await recordAudit(trx, { actor: { type: 'officer', id: officerId }, action: 'account.unlocked', subject: { type: 'account', id: accountId }, ip, at: now() });
        return true;
      });
    },

    async changePhoneByOfficer(accountId, phone, { officerId, reason, ip }) {
      // A first password not yet replaced went to the old phone: it stops working, and a new one goes to the new phone
      // (hashed before the transaction, as argon2 takes its time; unused when the account chose its own password).
      // What still waits in the outbox for the old phone is left: its password and codes no longer open anything, and
      // a phone two accounts share would lose the other account's messages.
      const firstPassword = generateFirstPassword();
      const firstPasswordHash = await passwords.hash(firstPassword);
      const outcome = await db.transaction().execute(async (trx) => {
        const account = await trx.selectFrom('accounts').select(['phone', 'status', 'password_must_change']).where('id', '=', accountId).forUpdate().executeTakeFirst();
        if (!account) return 'no_account' as const;
        if (account.status === 'revoked') return 'revoked' as const;
        if (account.phone === phone) return 'unchanged' as const;
        const at = now();
        await trx
          .updateTable('accounts')
          .set({ phone, phone_verified: true, updated_at: at, ...(account.password_must_change ? { password_hash: firstPasswordHash } : {}) })
          .where('id', '=', accountId)
          .execute();
        // Codes already sent went to the old phone: none of them may still open the account.
        await trx.deleteFrom('password_reset_codes').where('account_id', '=', accountId).execute();
        await trx.deleteFrom('sign_in_codes').where('account_id', '=', accountId).execute();
        if (account.password_must_change) await queueSms(trx, { to: phone, purpose: 'first_password', text: firstPasswordSms(firstPassword), at });
        const devices = await unbindDevices(trx, accountId, at);
        const afterCommit = await endSessions(trx, accountId);
        if (account.phone) await queueSms(trx, { to: account.phone, purpose: 'phone_changed', text: phoneChangedSms(at), at });
        await recordAudit(trx, { actor: { type: 'officer', id: officerId }, action: 'account.phone_changed', subject: { type: 'account', id: accountId }, detail: { note: reason, devices_unbound: devices, from: account.phone ? maskPhone(account.phone) : null, to: maskPhone(phone) }, ip, at });
        return afterCommit;
      });
      if (typeof outcome === 'string') return outcome;
      outcome();
      return 'changed';
    },

    async revokeByOfficer(accountId, { officerId, reason, ip }) {
      const ended = await db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('accounts')
          .set({ status: 'revoked', lock_reason: null, locked_until: null, updated_at: now() })
          .where('id', '=', accountId)
          .where('status', '!=', 'revoked')
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return undefined;
        const afterCommit = await endSessions(trx, accountId);
        await trx.deleteFrom('password_reset_codes').where('account_id', '=', accountId).execute();
        await recordAudit(trx, { actor: { type: 'officer', id: officerId }, action: 'account.revoked', subject: { type: 'account', id: accountId }, detail: { note: reason }, ip, at: now() });
        return afterCommit;
      });
      ended?.();
      return ended !== undefined;
    },
  };
}

/** The notice to the old phone: when, and where to turn; never the new number. */
export function phoneChangedSms(at: Date): string {
  const when = at.toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric' });
  return `Số điện thoại của tài khoản định danh điện tử gắn với số này đã được thay đổi tại cơ quan công an lúc ${when}. Nếu không phải bạn yêu cầu, hãy đến cơ quan công an gần nhất ngay.`;
}
