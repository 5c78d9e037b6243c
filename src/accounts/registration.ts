// The registration desk: an officer files an application for a citizen with a record and no account; a
// supervisor (never the one who filed it) approves, which issues the account and texts the first password.
// A revoked account ends for good what it was, but not the citizen's right to one: a new application, decided the
// same way, re-issues it (the same account, so services know the citizen again, with nothing from before usable).
import { randomInt } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { recordAudit } from '../audit/audit.ts';
import type { AccountLevel, DocumentKind, OfficerRole, Schema } from '../db/schema.ts';
import { queueSms } from '../notify/sms.ts';
import { ageOn, OWN_ACCOUNT_AGE } from './age.ts';
import { childrenUnder14 } from './dependents.ts';
import type { PasswordHasher } from './passwords.ts';
import { normalizeMobile } from './phone.ts';
import { unbindDevices } from '../devices/devices.ts';

export interface Officer {
  id: string;
  role: OfficerRole;
}

export interface RegistrationDeps {
  db: Kysely<Schema>;
  passwords: PasswordHasher;
  now: () => Date;
}

export interface ApplicationInput {
  personalId: string;
  phone: string;
  email?: string | undefined;
  requestedLevel: AccountLevel;
  dependents?: string[] | undefined;
  documents?: DocumentKind[] | undefined;
}

/** A refusal in the officer's terms: an HTTP status, a stable code and a sentence. */
export interface Refusal {
  ok: false;
  status: 403 | 404 | 409 | 422;
  error: string;
  description: string;
}

const refuse = (status: Refusal['status'], error: string, description: string): Refusal => ({ ok: false, status, error, description });

const DOCUMENT_CHECKS: Record<DocumentKind, (trx: Transaction<Schema>, personalId: string) => Promise<boolean>> = {
  driver_license: async (trx, id) => !!(await trx.selectFrom('driver_licenses').select('number').where('personal_id', '=', id).executeTakeFirst()),
  vehicle_registration: async (trx, id) => !!(await trx.selectFrom('vehicle_registrations').select('plate').where('personal_id', '=', id).executeTakeFirst()),
  health_insurance: async (trx, id) => !!(await trx.selectFrom('health_insurance_cards').select('card_number').where('personal_id', '=', id).executeTakeFirst()),
  social_insurance: async (trx, id) => !!(await trx.selectFrom('citizens').select('personal_id').where('personal_id', '=', id).where('social_insurance_number', 'is not', null).executeTakeFirst()),
};

/** Unambiguous characters only: the first password is read off a phone screen and typed by hand. */
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
export function generateFirstPassword(length = 10): string {
  return Array.from({ length }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join('');
}

export function firstPasswordSms(password: string): string {
  return `Định danh điện tử: tài khoản của bạn đã được cấp. Mật khẩu đăng nhập lần đầu: ${password} . Bạn sẽ đổi mật khẩu khi đăng nhập. Không chia sẻ mật khẩu cho bất kỳ ai.`;
}

export async function fileApplication(deps: RegistrationDeps, officer: Officer, input: ApplicationInput, ip?: string) {
  const { db, now } = deps;
  const phone = normalizeMobile(input.phone);
  if (!phone) return refuse(422, 'invalid_phone', 'phone must be a Vietnamese mobile number');
  const dependents = [...new Set(input.dependents ?? [])];
  const documents = [...new Set(input.documents ?? [])];
  if ((dependents.length || documents.length) && input.requestedLevel !== 2) {
    return refuse(422, 'level_2_required', 'dependents and integrated documents need a level-2 account');
  }

  const outcome = await db.transaction().execute(async (trx) => {
    const citizen = await trx.selectFrom('citizens').select(['personal_id', 'birthdate']).where('personal_id', '=', input.personalId).executeTakeFirst();
    if (!citizen) return refuse(404, 'no_record', 'no population record has this personal ID number');
    const today = now();
    if (ageOn(citizen.birthdate, today) < OWN_ACCOUNT_AGE) {
      return refuse(422, 'under_14', 'citizens under 14 are registered as dependents of a guardian with a level-2 account');
    }
    const existing = await trx.selectFrom('accounts').select(['id', 'status']).where('personal_id', '=', input.personalId).executeTakeFirst();
    if (existing && existing.status !== 'revoked') {
      return refuse(409, 'account_exists', 'this citizen already has an e-ID account');
    }
    if (await trx.selectFrom('account_applications').select('id').where('personal_id', '=', input.personalId).where('status', '=', 'applied').executeTakeFirst()) {
      return refuse(409, 'application_open', 'this citizen already has an application waiting for a decision');
    }
    const children = new Map((await childrenUnder14(trx, input.personalId, today)).map((c) => [c.personalId, c]));
    for (const dependent of dependents) {
      const child = children.get(dependent);
      if (!child) return refuse(422, 'not_a_dependent', `${dependent} is not a child under 14 of this citizen in the population record`);
      if (child.registeredUnder && child.registeredUnder !== existing?.id) return refuse(409, 'dependent_registered', `${dependent} is already registered under another account`);
    }
    for (const kind of documents) {
      if (!(await DOCUMENT_CHECKS[kind](trx, input.personalId))) return refuse(422, 'no_such_document', `the population record holds no ${kind.replace('_', ' ')} for this citizen`);
    }
    const application = await trx
      .insertInto('account_applications')
      .values({
        personal_id: input.personalId,
        phone,
        email: input.email?.trim() || null,
        requested_level: input.requestedLevel,
        documents,
        dependents,
        filed_by: officer.id,
        filed_at: today,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, { actor: { type: 'officer', id: officer.id }, action: 'application.filed', subject: { type: 'application', id: application.id }, detail: { level: input.requestedLevel, dependents: dependents.length, documents, ...(existing ? { reissues: existing.id } : {}) }, ip, at: today });
    return { ok: true as const, application };
  });
  // A refusal that tells the desk something the record holds (an age band, an account, a child, a document) is a
  // read of that record: audited as a lookup is, so probing by filing is no way around the trail.
  if (!outcome.ok && RECORD_FACTS.has(outcome.error)) {
    // Filed under the account when there is one (as a lookup is), the record's key otherwise.
    const account = await db.selectFrom('accounts').select('id').where('personal_id', '=', input.personalId).executeTakeFirst();
    const subject = account ? { type: 'account', id: account.id } : { type: 'citizen', id: input.personalId };
    await recordAudit(db, { actor: { type: 'officer', id: officer.id }, action: 'application.refused', subject, detail: { error: outcome.error }, ip, at: now() });
  }
  return outcome;
}

/** Refusals of a filing that reveal what the population record or the accounts hold. */
const RECORD_FACTS = new Set(['under_14', 'account_exists', 'application_open', 'not_a_dependent', 'dependent_registered', 'no_such_document']);

type Decision = { decision: 'approve' } | { decision: 'reject'; reason: string };

export async function decideApplication(deps: RegistrationDeps, supervisor: Officer, applicationId: string, decision: Decision, ip?: string) {
  const { db, now } = deps;
  if (supervisor.role !== 'supervisor') return refuse(403, 'supervisor_only', 'only a supervisor approves or rejects applications');
  // Hash outside the transaction: it is the slow part, and the password is thrown away if the decision fails.
  const firstPassword = decision.decision === 'approve' ? generateFirstPassword() : undefined;
  const passwordHash = firstPassword ? await deps.passwords.hash(firstPassword) : undefined;

  return db.transaction().execute(async (trx) => {
    const application = await trx.selectFrom('account_applications').selectAll().where('id', '=', applicationId).forUpdate().executeTakeFirst();
    if (!application) return refuse(404, 'no_application', 'no application has this id');
    if (application.status !== 'applied') return refuse(409, 'already_decided', `the application was already ${application.status}`);
    if (application.filed_by === supervisor.id) return refuse(403, 'separation_of_duties', 'an application is decided by a supervisor other than the officer who filed it');
    const at = now();

    if (decision.decision === 'reject') {
      await trx.updateTable('account_applications').set({ status: 'rejected', decided_by: supervisor.id, decided_at: at, decision_reason: decision.reason }).where('id', '=', applicationId).execute();
      await recordAudit(trx, { actor: { type: 'officer', id: supervisor.id }, action: 'application.rejected', subject: { type: 'application', id: applicationId }, detail: { reason: decision.reason }, ip, at });
      return { ok: true as const, status: 'rejected' as const };
    }

    const former = await trx.selectFrom('accounts').select(['id', 'status']).where('personal_id', '=', application.personal_id).forUpdate().executeTakeFirst();
    if (former && former.status !== 'revoked') {
      return refuse(409, 'account_exists', 'this citizen already has an e-ID account');
    }
    if (application.dependents.length) {
      const taken = await trx
        .selectFrom('account_dependents')
        .select('dependent_personal_id')
        .where('dependent_personal_id', 'in', application.dependents)
        .$if(former !== undefined, (qb) => qb.where('guardian_account_id', '!=', former!.id))
        .executeTakeFirst();
      if (taken) return refuse(409, 'dependent_registered', `${taken.dependent_personal_id} was registered under another account meanwhile`);
    }
    // Every refusal is above this line: from here on the transaction only writes.
    const issued = {
      phone: application.phone,
      email: application.email,
      level: application.requested_level,
      password_hash: passwordHash!,
      password_must_change: true,
      application_id: application.id,
      integrated_documents: application.documents,
    };
    const account = former
      ? await reissue(trx, former.id, issued, at)
      : await trx.insertInto('accounts').values({ personal_id: application.personal_id, ...issued }).returning('id').executeTakeFirstOrThrow();
    if (application.dependents.length) {
      await trx
        .insertInto('account_dependents')
        .values(application.dependents.map((dependent) => ({ dependent_personal_id: dependent, guardian_account_id: account.id, registered_at: at })))
        .execute();
    }
    // A child who reaches 14 gets an own account and stops being a dependent.
    await trx.deleteFrom('account_dependents').where('dependent_personal_id', '=', application.personal_id).execute();
    await trx.updateTable('account_applications').set({ status: 'approved', decided_by: supervisor.id, decided_at: at }).where('id', '=', applicationId).execute();
    await queueSms(trx, { to: application.phone, purpose: 'first_password', text: firstPasswordSms(firstPassword!), at });
    await recordAudit(trx, { actor: { type: 'officer', id: supervisor.id }, action: 'application.approved', subject: { type: 'application', id: applicationId }, detail: { account: account.id }, ip, at });
    await recordAudit(trx, { actor: { type: 'officer', id: supervisor.id }, action: former ? 'account.reissued' : 'account.issued', subject: { type: 'account', id: account.id }, detail: { level: application.requested_level, dependents: application.dependents.length, first_password: 'sms', application: application.id }, ip, at });
    return { ok: true as const, status: 'approved' as const, accountId: account.id };
  });
}

/**
 * A revoked account issued again from a new application: the same row (one account per citizen, the same subject
 * at every service), everything it held replaced. Its sessions, grants, tokens and reset codes ended at revocation;
 * its app devices are unbound here (they were only refused while it was revoked), its codes and dependents cleared.
 */
async function reissue(trx: Transaction<Schema>, accountId: string, issued: { phone: string; email: string | null; level: AccountLevel; password_hash: string; password_must_change: boolean; application_id: string; integrated_documents: DocumentKind[] }, at: Date) {
  const account = await trx
    .updateTable('accounts')
    .set({ ...issued, phone_verified: false, email_verified: false, status: 'active', lock_reason: null, locked_until: null, updated_at: at })
    .where('id', '=', accountId)
    .where('status', '=', 'revoked')
    .returning('id')
    .executeTakeFirstOrThrow();
  await unbindDevices(trx, accountId, at);
  await trx.deleteFrom('sign_in_codes').where('account_id', '=', accountId).execute();
  await trx.deleteFrom('password_reset_codes').where('account_id', '=', accountId).execute();
  await trx.deleteFrom('account_dependents').where('guardian_account_id', '=', accountId).execute();
  return account;
}
