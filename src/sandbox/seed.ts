// The sandbox: one ready client and a handful of synthetic citizens, identical on every machine (see README).
import type { Kysely } from 'kysely';
import type { ClientMetadata } from 'oidc-provider';
import type { PasswordHasher } from '../accounts/passwords.ts';
import type { AccountLevel, DocumentKind, Schema } from '../db/schema.ts';
import type { RelyingParties } from '../oidc/relying-parties.ts';
import { CATALOGUE } from '../oidc/claims.ts';
import { generateRecords } from '../registry/generate.ts';
import { insertRecords } from '../registry/import/insert-records.ts';
import { FIRST_PARTY_CLIENT } from '../oidc/provider.ts';
import { loadOrCreateKeys } from '../oidc/keys.ts';
import { totpSealer } from '../admin/totp.ts';
import { assignSector } from '../oidc/sectors.ts';

export const SANDBOX_CLIENT_ID = 'sandbox';
/** Synthetic citizens on record (no accounts) seeded beside the hand-made ones, for registration and imports. */
export const SANDBOX_POPULATION = 500;

/** Every sandbox citizen's password. Synthetic people only: never seeded when NODE_ENV=production. */
export const SANDBOX_PASSWORD = 'ThuNghiem@2026';

export interface SandboxCitizen {
  personalId: string;
  familyName: string;
  middleName: string;
  givenName: string;
  birthdate: string;
  sex: 'male' | 'female';
  level: AccountLevel;
  phone: string;
  email: string;
  /** Locked by an officer: shows what a relying party's user meets with a locked account. */
  locked?: true;
}

// Numbers follow PPP C YY NNNNNN: birth province, century/sex digit, year of birth, serial.
export const SANDBOX_CITIZENS: readonly SandboxCitizen[] = [
  { personalId: '001090012345', familyName: 'Nguyễn', middleName: 'Văn', givenName: 'An', birthdate: '1990-05-12', sex: 'male', level: 2, phone: '+84912345678', email: 'an.nguyen@example.vn' },
  { personalId: '079185000123', familyName: 'Trần', middleName: 'Thị', givenName: 'Bình', birthdate: '1985-11-03', sex: 'female', level: 1, phone: '+84387654321', email: 'binh.tran@example.vn' },
  { personalId: '048201004567', familyName: 'Lê', middleName: 'Hoàng', givenName: 'Cường', birthdate: '2001-02-20', sex: 'male', level: 2, phone: '+84703456789', email: 'cuong.le@example.vn' },
  { personalId: '031303007890', familyName: 'Phạm', middleName: 'Thu', givenName: 'Dung', birthdate: '2003-07-30', sex: 'female', level: 1, phone: '+84861234567', email: 'dung.pham@example.vn' },
  { personalId: '092075001122', familyName: 'Võ', middleName: 'Minh', givenName: 'Em', birthdate: '1975-09-09', sex: 'male', level: 2, phone: '+84523456789', email: 'em.vo@example.vn' },
  { personalId: '079090006789', familyName: 'Hồ', middleName: 'Văn', givenName: 'Phúc', birthdate: '1990-08-19', sex: 'male', level: 1, phone: '+84934567890', email: 'phuc.ho@example.vn', locked: true },
];

/** What the population record holds beyond the basics for the level-2 sandbox citizens (level-2 claims come from here). */
export const SANDBOX_RECORD_DETAILS: Record<string, {
  record: { nationality: string; ethnicity: string; religion: string; place_of_origin: string; residence_street: string; residence_ward: string; residence_district: string; residence_province: string; id_card_issued_on: string; id_card_expires_on: string; id_card_issuer: string; social_insurance_number: string };
  driverLicense?: { number: string; classes: string[]; issued_on: string; expires_on: string | null };
  vehicle?: { plate: string; type: 'motorcycle' | 'car'; brand: string; registered_on: string };
  healthInsurance?: { card_number: string; clinic: string; valid_from: string; valid_to: string };
  dependent?: { personalId: string; familyName: string; middleName: string; givenName: string; birthdate: string; sex: 'male' | 'female' };
}> = {
  '001090012345': {
    record: { nationality: 'Việt Nam', ethnicity: 'Kinh', religion: 'Không', place_of_origin: 'Xã Đông Hội, huyện Đông Anh, Hà Nội', residence_street: 'Số 12 ngõ 34 phố Hàng Bông', residence_ward: 'Phường Hàng Gai', residence_district: 'Quận Hoàn Kiếm', residence_province: 'Hà Nội', id_card_issued_on: '2021-04-15', id_card_expires_on: '2030-05-12', id_card_issuer: 'Cục Cảnh sát quản lý hành chính về trật tự xã hội', social_insurance_number: '0112345678' },
    driverLicense: { number: '010123456789', classes: ['A1', 'B2'], issued_on: '2012-08-01', expires_on: '2032-08-01' },
    vehicle: { plate: '29A-123.45', type: 'car', brand: 'VinFast', registered_on: '2022-03-10' },
    healthInsurance: { card_number: 'DN4010123456789', clinic: 'Bệnh viện Bạch Mai', valid_from: '2026-01-01', valid_to: '2026-12-31' },
    dependent: { personalId: '001318004321', familyName: 'Nguyễn', middleName: 'Ngọc', givenName: 'Mai', birthdate: '2018-06-01', sex: 'female' },
  },
  '048201004567': {
    record: { nationality: 'Việt Nam', ethnicity: 'Kinh', religion: 'Phật giáo', place_of_origin: 'Phường Hòa Khánh, quận Liên Chiểu, Đà Nẵng', residence_street: '45 đường Nguyễn Văn Linh', residence_ward: 'Phường Nam Dương', residence_district: 'Quận Hải Châu', residence_province: 'Đà Nẵng', id_card_issued_on: '2021-06-01', id_card_expires_on: '2026-02-20', id_card_issuer: 'Cục Cảnh sát quản lý hành chính về trật tự xã hội', social_insurance_number: '4812345678' },
  },
};

/** Citizens on record without an account yet: for trying the registration desk (a mother and her child under 14, and a man). */
export const SANDBOX_UNREGISTERED = [
  { personalId: '001188000321', familyName: 'Đặng', middleName: 'Thị', givenName: 'Hoa', birthdate: '1988-03-08', sex: 'female' as const },
  { personalId: '001216000654', familyName: 'Đặng', middleName: 'Minh', givenName: 'Khôi', birthdate: '2016-10-01', sex: 'male' as const, mother: '001188000321' },
  { personalId: '036079000987', familyName: 'Bùi', middleName: 'Văn', givenName: 'Long', birthdate: '1979-12-24', sex: 'male' as const },
];

/** Registration-desk staff of the sandbox; every officer's password is SANDBOX_OFFICER_PASSWORD. */
export const SANDBOX_OFFICERS = [
  { username: 'canbo', fullName: 'Cán bộ Tiếp nhận', role: 'officer' as const, policeUnit: 'Công an phường Hoàn Kiếm' },
  { username: 'giamsat', fullName: 'Cán bộ Phê duyệt', role: 'supervisor' as const, policeUnit: 'Công an phường Hoàn Kiếm' },
  { username: 'giamsat2', fullName: 'Cán bộ Phê duyệt 2', role: 'supervisor' as const, policeUnit: 'Công an phường Hoàn Kiếm' },
  // Runs the client registry (operator API), never the desk: least privilege.
  { username: 'vanhanh', fullName: 'Kỹ sư Vận hành', role: 'operator' as const, policeUnit: 'Trung tâm vận hành định danh' },
];
export const SANDBOX_OFFICER_PASSWORD = 'CanBo@Sandbox2026';
/**
 * Every sandbox officer's TOTP secret (base32), published so developers and tests can compute codes
 * (`totpCode` in src/admin/totp.ts, or any authenticator app given SANDBOX_OFFICER_TOTP_URI).
 */
export const SANDBOX_OFFICER_TOTP_SECRET = 'DINHDANHSANDBOXOFFICERTOTP234567';

export interface SandboxClientOptions {
  issuer: string;
  redirectUris: string[];
  clientSecret: string;
  /** Beyond each redirect URI's origin + '/' and the redirect URIs themselves (SANDBOX_POST_LOGOUT_REDIRECT_URIS). */
  postLogoutRedirectUris?: string[];
}

export function sandboxClient(options: SandboxClientOptions): ClientMetadata {
  // Where relying parties send the citizen after logout: their home page, the callback itself, or what was configured.
  const origins = options.redirectUris.map((uri) => `${new URL(uri).origin}/`);
  const postLogout = [...new Set([...origins, ...options.redirectUris, ...(options.postLogoutRedirectUris ?? [])])];
  return assignSector({
    client_id: SANDBOX_CLIENT_ID,
    client_secret: options.clientSecret,
    client_name: 'Sandbox',
    redirect_uris: options.redirectUris,
    post_logout_redirect_uris: postLogout,
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: SANDBOX_SCOPES.join(' '),
    profile: 'sandbox',
    // The sandbox may try everything, level 2 included.
    assurance_level: 2,
  }, options.issuer);
}

/** Every scope the sandbox client (and a client registered in the sandbox, unless it asks for fewer) may ask for. */
export const SANDBOX_SCOPES = ['openid', 'offline_access', ...Object.keys(CATALOGUE).filter((scope) => scope !== 'openid')];

/**
 * Registers the sandbox client as configured now (SANDBOX_REDIRECT_URIS, the secret, logout URIs): every start
 * with the sandbox on, not only the first seed, so a changed configuration takes effect.
 */
export async function registerSandboxClient(db: Kysely<Schema>, relyingParties: RelyingParties, options: SandboxClientOptions): Promise<void> {
  await relyingParties.save(sandboxClient(options));
  await db.insertInto('sandbox_seed').values({ kind: 'relying_party', key: SANDBOX_CLIENT_ID }).onConflict((oc) => oc.doNothing()).execute();
}

/**
 * Seeds the sandbox into an empty database (no relying party, no account); returns whether it did. The sandbox
 * client is registered as configured either way.
 */
export async function seedSandbox(
  db: Kysely<Schema>,
  relyingParties: RelyingParties,
  passwords: PasswordHasher,
  options: SandboxClientOptions & { population?: number },
): Promise<boolean> {
  // The first-party account page's client is registered by every start; it does not make the database "used".
  const anyClient = await db.selectFrom('relying_parties').select('client_id').where('client_id', 'not in', [FIRST_PARTY_CLIENT, SANDBOX_CLIENT_ID]).limit(1).executeTakeFirst();
  const anyAccount = await db.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
  if (anyClient || anyAccount) {
    await registerSandboxClient(db, relyingParties, options);
    await addLaterPersonas(db, passwords);
    return false;
  }
  // Sealed like any officer's secret, under the key the running provider derives from the same cookie secret.
  const sealedTotp = totpSealer((await loadOrCreateKeys(db)).cookie[0]!).seal(SANDBOX_OFFICER_TOTP_SECRET);

  await db.transaction().execute(async (trx) => {
    for (const c of SANDBOX_CITIZENS) {
      await trx
        .insertInto('citizens')
        .values({ personal_id: c.personalId, family_name: c.familyName, middle_name: c.middleName, given_name: c.givenName, birthdate: c.birthdate, sex: c.sex })
        .onConflict((oc) => oc.column('personal_id').doNothing())
        .execute();
      const details = SANDBOX_RECORD_DETAILS[c.personalId];
      if (details) await trx.updateTable('citizens').set(details.record).where('personal_id', '=', c.personalId).execute();
      if (details?.driverLicense) await trx.insertInto('driver_licenses').values({ ...details.driverLicense, personal_id: c.personalId }).execute();
      if (details?.vehicle) await trx.insertInto('vehicle_registrations').values({ ...details.vehicle, personal_id: c.personalId }).execute();
      if (details?.healthInsurance) await trx.insertInto('health_insurance_cards').values({ ...details.healthInsurance, personal_id: c.personalId }).execute();
      const integrated = details
        ? (['social_insurance', ...(details.driverLicense ? ['driver_license'] : []), ...(details.vehicle ? ['vehicle_registration'] : []), ...(details.healthInsurance ? ['health_insurance'] : [])] as DocumentKind[])
        : [];
      const account = await trx
        .insertInto('accounts')
        .values({
          personal_id: c.personalId, level: c.level, phone: c.phone, phone_verified: true, email: c.email, email_verified: true,
          password_hash: await passwords.hash(SANDBOX_PASSWORD), integrated_documents: integrated,
          ...(c.locked ? { status: 'locked' as const, lock_reason: 'officer' as const } : {}),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const child = details?.dependent;
      if (child) {
        await trx.insertInto('citizens').values({ personal_id: child.personalId, family_name: child.familyName, middle_name: child.middleName, given_name: child.givenName, birthdate: child.birthdate, sex: child.sex }).execute();
        await trx.insertInto('citizen_relatives').values({ personal_id: child.personalId, relation: c.sex === 'male' ? 'father' : 'mother', relative_personal_id: c.personalId, full_name: `${c.familyName} ${c.middleName} ${c.givenName}`, birth_year: Number(c.birthdate.slice(0, 4)) }).execute();
        await trx.insertInto('account_dependents').values({ dependent_personal_id: child.personalId, guardian_account_id: account.id }).execute();
      }
    }
    for (const c of SANDBOX_UNREGISTERED) {
      await trx
        .insertInto('citizens')
        .values({ personal_id: c.personalId, family_name: c.familyName, middle_name: c.middleName, given_name: c.givenName, birthdate: c.birthdate, sex: c.sex })
        .execute();
      if ('mother' in c) {
        const mother = SANDBOX_UNREGISTERED.find((m) => m.personalId === c.mother)!;
        await trx
          .insertInto('citizen_relatives')
          .values({ personal_id: c.personalId, relation: 'mother', relative_personal_id: mother.personalId, full_name: `${mother.familyName} ${mother.middleName} ${mother.givenName}`, birth_year: Number(mother.birthdate.slice(0, 4)) })
          .execute();
      }
    }
    for (const officer of SANDBOX_OFFICERS) {
      await trx
        .insertInto('officers')
        .values({
          username: officer.username, full_name: officer.fullName, role: officer.role, police_unit: officer.policeUnit,
          password_hash: await passwords.hash(SANDBOX_OFFICER_PASSWORD), totp_secret: sealedTotp, totp_confirmed_at: new Date(),
        })
        .execute();
    }
  });
  // A synthetic population around the hand-made citizens (households, documents), the same on every machine.
  const population = [...generateRecords({ count: options.population ?? SANDBOX_POPULATION, seed: 'sandbox' })];
  await insertRecords(db, population);
  await registerSandboxClient(db, relyingParties, options);
  // Marked as the sandbox's, so production refuses to run with any of it and `cli sandbox remove` finds it all.
  const citizens = [
    ...SANDBOX_CITIZENS.map((c) => c.personalId),
    ...Object.values(SANDBOX_RECORD_DETAILS).flatMap((d) => (d.dependent ? [d.dependent.personalId] : [])),
    ...SANDBOX_UNREGISTERED.map((c) => c.personalId),
    ...population.map((r) => r.personal_id),
  ];
  await db
    .insertInto('sandbox_seed')
    .values([
      ...SANDBOX_OFFICERS.map((o) => ({ kind: 'officer' as const, key: o.username })),
      ...citizens.map((key) => ({ kind: 'citizen' as const, key })),
    ])
    .onConflict((oc) => oc.doNothing())
    .execute();
  return true;
}

/**
 * Personas added to the sandbox after a database was first seeded (the locked account): added to a database that
 * holds the sandbox's citizens, so /sandbox never lists someone who is not there.
 */
async function addLaterPersonas(db: Kysely<Schema>, passwords: PasswordHasher): Promise<void> {
  const seeded = await db.selectFrom('sandbox_seed').select('key').where('kind', '=', 'citizen').where('key', '=', SANDBOX_CITIZENS[0]!.personalId).executeTakeFirst();
  if (!seeded) return;
  for (const c of SANDBOX_CITIZENS.filter((citizen) => citizen.locked)) {
    if (await db.selectFrom('citizens').select('personal_id').where('personal_id', '=', c.personalId).executeTakeFirst()) continue;
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('citizens').values({ personal_id: c.personalId, family_name: c.familyName, middle_name: c.middleName, given_name: c.givenName, birthdate: c.birthdate, sex: c.sex }).execute();
      await trx.insertInto('sandbox_seed').values({ kind: 'citizen', key: c.personalId }).onConflict((oc) => oc.doNothing()).execute();
      await trx
        .insertInto('accounts')
        .values({ personal_id: c.personalId, level: c.level, phone: c.phone, phone_verified: true, email: c.email, email_verified: true, password_hash: await passwords.hash(SANDBOX_PASSWORD), status: 'locked', lock_reason: 'officer' })
        .execute();
    });
  }
}
