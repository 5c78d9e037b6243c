// The sandbox: one ready client and a handful of synthetic citizens, identical on every machine (see README).
import type { Kysely } from 'kysely';
import type { ClientMetadata } from 'oidc-provider';
import type { PasswordHasher } from '../accounts/passwords.ts';
import type { AccountLevel, Schema } from '../db/schema.ts';
import type { RelyingParties } from '../oidc/relying-parties.ts';

export const SANDBOX_CLIENT_ID = 'sandbox';
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
}

// Numbers follow PPP C YY NNNNNN: birth province, century/sex digit, year of birth, serial.
export const SANDBOX_CITIZENS: readonly SandboxCitizen[] = [
  { personalId: '001090012345', familyName: 'Nguyễn', middleName: 'Văn', givenName: 'An', birthdate: '1990-05-12', sex: 'male', level: 2, phone: '+84912345678', email: 'an.nguyen@example.vn' },
  { personalId: '079185000123', familyName: 'Trần', middleName: 'Thị', givenName: 'Bình', birthdate: '1985-11-03', sex: 'female', level: 1, phone: '+84387654321', email: 'binh.tran@example.vn' },
  { personalId: '048201004567', familyName: 'Lê', middleName: 'Hoàng', givenName: 'Cường', birthdate: '2001-02-20', sex: 'male', level: 2, phone: '+84703456789', email: 'cuong.le@example.vn' },
  { personalId: '031303007890', familyName: 'Phạm', middleName: 'Thu', givenName: 'Dung', birthdate: '2003-07-30', sex: 'female', level: 1, phone: '+84861234567', email: 'dung.pham@example.vn' },
  { personalId: '092075001122', familyName: 'Võ', middleName: 'Minh', givenName: 'Em', birthdate: '1975-09-09', sex: 'male', level: 2, phone: '+84523456789', email: 'em.vo@example.vn' },
];

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
];
export const SANDBOX_OFFICER_PASSWORD = 'CanBo@Sandbox2026';

export function sandboxClient(options: { redirectUris: string[]; clientSecret: string }): ClientMetadata {
  const origins = [...new Set(options.redirectUris.map((uri) => `${new URL(uri).origin}/`))];
  return {
    client_id: SANDBOX_CLIENT_ID,
    client_secret: options.clientSecret,
    client_name: 'Sandbox',
    redirect_uris: options.redirectUris,
    post_logout_redirect_uris: origins,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid offline_access profile personal_id phone email',
    // The sandbox may try everything, level 2 included.
    assurance_level: 2,
  };
}

/** Seeds the sandbox into an empty database (no relying party, no account); returns whether it did. */
export async function seedSandbox(
  db: Kysely<Schema>,
  relyingParties: RelyingParties,
  passwords: PasswordHasher,
  options: { redirectUris: string[]; clientSecret: string },
): Promise<boolean> {
  const anyClient = await db.selectFrom('relying_parties').select('client_id').limit(1).executeTakeFirst();
  const anyAccount = await db.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
  if (anyClient || anyAccount) return false;

  await db.transaction().execute(async (trx) => {
    for (const c of SANDBOX_CITIZENS) {
      await trx
        .insertInto('citizens')
        .values({ personal_id: c.personalId, family_name: c.familyName, middle_name: c.middleName, given_name: c.givenName, birthdate: c.birthdate, sex: c.sex })
        .onConflict((oc) => oc.column('personal_id').doNothing())
        .execute();
      await trx
        .insertInto('accounts')
        .values({ personal_id: c.personalId, level: c.level, phone: c.phone, phone_verified: true, email: c.email, email_verified: true, password_hash: await passwords.hash(SANDBOX_PASSWORD) })
        .execute();
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
        .values({ username: officer.username, full_name: officer.fullName, role: officer.role, police_unit: officer.policeUnit, password_hash: await passwords.hash(SANDBOX_OFFICER_PASSWORD) })
        .execute();
    }
  });
  await relyingParties.saveIfAbsent(sandboxClient(options));
  return true;
}
