// Binding a phone to a level-2 account: (1) personal ID number and password → an SMS code and a challenge;
// (2) the code, the device's public key and its signature over the challenge → the device. The code uses the
// sign-in code machinery (one code per enrolment, its attempt limits and the account's daily allowances).
import { randomBytes } from 'node:crypto';
import { authenticate } from '../accounts/authenticate.ts';
import type { AccountServices } from '../accounts/services.ts';
import { startSecondFactor, verifySecondFactor } from '../accounts/second-factor.ts';
import { recordAudit } from '../audit/audit.ts';
import { queueSms } from '../notify/sms.ts';
import { checkDeviceKey, signsChallenge } from './device-key.ts';
import { deviceName, insertDevice } from './devices.ts';

/** A refusal the API answers as {error, error_description}, with its HTTP status. */
export interface Refusal {
  status: number;
  error: string;
  description: string;
  attemptsLeft?: number;
}
export type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

const refused = (status: number, error: string, description: string, extra: { attemptsLeft?: number } = {}): { ok: false; refusal: Refusal } => ({ ok: false, refusal: { status, error, description, ...extra } });
const newId = () => randomBytes(18).toString('base64url');
export const codeUid = (enrolmentId: string) => `app-enrolment:${enrolmentId}`;

export function enrolmentCodeSms(code: string, minutes: number): string {
  return `Định danh điện tử: mã kích hoạt ứng dụng trên thiết bị mới là ${code}, hiệu lực ${minutes} phút. Nếu bạn không tự cài đặt, đừng cung cấp mã này cho bất kỳ ai.`;
}

// Unknown number and wrong password are one answer: nobody learns which ID numbers have accounts.
const BAD_CREDENTIALS = refused(401, 'invalid_credentials', 'the personal ID number or the password is wrong');
const NO_ENROLMENT = refused(400, 'invalid_enrolment', 'this enrolment is unknown, expired or already completed: start again with POST /app/enrolments');

export async function startEnrolment(
  services: AccountServices,
  input: { personalId: string; password: string },
): Promise<Outcome<{ enrolmentId: string; challenge: string; expiresIn: number }>> {
  const result = await authenticate(services.authentication, input);
  if (!result.ok) {
    if (result.reason === 'malformed_id') return refused(400, 'invalid_request', 'personal_id: a personal identification number is 12 digits');
    if (result.reason === 'throttled') return refused(429, 'temporarily_locked', `too many failed attempts for this number: try again after ${result.until.toISOString()}`);
    if (result.reason === 'invalid_credentials') return BAD_CREDENTIALS;
    // Past the right password only: the account's own state may be told.
    return refused(403, `account_${result.reason}`, `the account is ${result.reason}: an officer at a police office can help`);
  }
  const account = result.account;
  if (account.level !== 2) return refused(403, 'level_2_required', 'the e-ID app binds level-2 accounts only; level 2 is verified in person at a police office');
  if (account.passwordMustChange) return refused(403, 'password_change_required', 'the first password from the SMS must be changed (sign in on the web once) before a device is bound');
  if (!account.phone) return refused(403, 'no_phone', 'the account has no phone number to send the code to; an officer can add one');

  const db = services.registration.db;
  const secondFactor = services.secondFactor;
  const now = services.now();
  const enrolmentId = newId();
  const challenge = randomBytes(32).toString('base64url');
  const expiresIn = secondFactor.codeSeconds;
  await db.insertInto('app_enrolments').values({ id: enrolmentId, account_id: account.id, challenge, expires_at: new Date(now.getTime() + expiresIn * 1000) }).execute();
  const sent = await startSecondFactor(secondFactor, { uid: codeUid(enrolmentId), accountId: account.id, phone: account.phone, text: enrolmentCodeSms });
  if (sent === 'daily_limit') {
    await db.deleteFrom('app_enrolments').where('id', '=', enrolmentId).execute();
    return refused(429, 'sms_limit', 'this account received all the SMS codes it may get in 24 hours: try again tomorrow');
  }
  return { ok: true, value: { enrolmentId, challenge, expiresIn } };
}

/** The notice sent when a device is bound: which device and when (Vietnam time), and what to do if it was not them. */
export function deviceBoundSms(name: string, at: Date): string {
  const when = at.toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric' });
  return `Tài khoản định danh điện tử của bạn vừa được liên kết với thiết bị "${name}" lúc ${when}. Nếu không phải bạn, hãy gỡ thiết bị tại trang Tài khoản và đổi mật khẩu ngay.`;
}

export async function completeEnrolment(
  services: AccountServices,
  input: { enrolmentId: string; code: string; publicJwk: unknown; deviceName: string; signature: string; ip?: string },
): Promise<Outcome<{ deviceId: string; name: string }>> {
  const db = services.registration.db;
  const now = services.now();
  const enrolment = await db
    .selectFrom('app_enrolments')
    .select(['id', 'account_id', 'challenge'])
    .where('id', '=', input.enrolmentId)
    .where('completed_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!enrolment) return NO_ENROLMENT;

  const name = deviceName(input.deviceName);
  if (!name) return refused(400, 'invalid_request', 'device_name: 1 to 60 characters, e.g. "Điện thoại của An"');
  const key = await checkDeviceKey(input.publicJwk);
  if (!key.ok) return refused(400, 'invalid_key', key.description);
  if (!(await signsChallenge(key.jwk, input.signature, enrolment.challenge))) {
    return refused(400, 'invalid_signature', 'signature must be a compact JWS (ES256) by the key in public_jwk whose payload is exactly the challenge');
  }

  const KEY_IN_USE = refused(409, 'key_in_use', 'this key is already bound to a device: generate a new key pair for each enrolment');
  if (await db.selectFrom('app_devices').select('id').where('jkt', '=', key.jkt).executeTakeFirst()) return KEY_IN_USE;

  const code = await verifySecondFactor(services.secondFactor, { uid: codeUid(enrolment.id), accountId: enrolment.account_id, code: input.code });
  if (!code.ok) {
    if (code.problem === 'malformed') return refused(400, 'invalid_code', 'code must be the 6 digits of the SMS (this did not count as a try)');
    if (code.problem === 'wrong') return refused(400, 'invalid_code', 'the SMS code is wrong', { attemptsLeft: code.attemptsLeft });
    if (code.problem === 'daily_limit') return refused(429, 'sms_limit', 'too many wrong codes for this account in 24 hours: try again tomorrow');
    return refused(400, 'invalid_enrolment', code.problem === 'too_many' ? 'too many wrong codes: start again with POST /app/enrolments' : 'the SMS code has expired: start again with POST /app/enrolments');
  }

  // The account may have changed since the password was checked: bind only to an account that still qualifies.
  const account = await services.accounts.findById(enrolment.account_id);
  if (!account || account.status !== 'active' || account.level !== 2) return refused(403, 'level_2_required', 'the account is no longer an active level-2 account');

  const deviceId = newId();
  const outcome = await db.transaction().execute(async (trx) => {
    const taken = await trx.updateTable('app_enrolments').set({ completed_at: now }).where('id', '=', enrolment.id).where('completed_at', 'is', null).returning('id').executeTakeFirst();
    if (!taken) return 'completed' as const;
    const inserted = await insertDevice(trx, { id: deviceId, accountId: enrolment.account_id, name, publicJwk: key.jwk, jkt: key.jkt, at: now });
    if (inserted === 'key_in_use') return inserted;
    await trx.updateTable('app_enrolments').set({ device_id: deviceId }).where('id', '=', enrolment.id).execute();
    // Told on the phone at once, in the same transaction: no device is bound without its owner hearing of it.
    if (account.phone) await queueSms(trx, { to: account.phone, purpose: 'device_bound', text: deviceBoundSms(name, now), at: now });
    await recordAudit(trx, { actor: { type: 'citizen', id: enrolment.account_id }, action: 'device.enrolled', subject: { type: 'account', id: enrolment.account_id }, detail: { device: deviceId }, ip: input.ip, at: now });
    return 'done' as const;
  });
  if (outcome === 'completed') return NO_ENROLMENT;
  if (outcome === 'key_in_use') return KEY_IN_USE;
  return { ok: true, value: { deviceId, name } };
}

export async function purgeEnrolments(db: AccountServices['registration']['db'], now: Date): Promise<void> {
  await db.deleteFrom('app_enrolments').where('expires_at', '<=', now).where('completed_at', 'is', null).execute();
}
