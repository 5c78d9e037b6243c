// Table types for Kysely. Column names stay snake_case as in migrations/.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface OidcPayloadTable {
  model: string;
  id: string;
  payload: Json<Record<string, unknown>>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: ColumnType<Date | null, Date | null, Date | null>;
  consumed_at: ColumnType<Date | null, Date | null, Date | null>;
}

export interface ProviderKeyTable {
  kid: string;
  use: 'sig' | 'cookie';
  alg: string;
  material: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  retired_at: Date | null;
}

export interface RelyingPartyTable {
  client_id: string;
  metadata: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CitizenTable {
  personal_id: string;
  family_name: string;
  middle_name: Generated<string>;
  given_name: string;
  /** ISO date, YYYY-MM-DD (date columns are read as strings on both engines). */
  birthdate: string;
  sex: 'male' | 'female';
  /** Derived from the number's first three digits. */
  birth_province_code: ColumnType<string, never, never>;
  nationality: string | null;
  ethnicity: string | null;
  religion: string | null;
  place_of_origin: string | null;
  residence_street: string | null;
  residence_ward: string | null;
  residence_district: string | null;
  residence_province: string | null;
  portrait_ref: string | null;
  id_card_issued_on: string | null;
  id_card_expires_on: string | null;
  id_card_issuer: string | null;
  social_insurance_number: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ProvinceTable {
  code: string;
  name: string;
}

export type Relation = 'father' | 'mother' | 'spouse' | 'guardian';

export interface CitizenRelativeTable {
  personal_id: string;
  relation: Relation;
  relative_personal_id: string | null;
  full_name: string;
  birth_year: number | null;
}

export interface DriverLicenseTable {
  number: string;
  personal_id: string;
  classes: string[];
  issued_on: string;
  expires_on: string | null;
}

export type VehicleType = 'motorcycle' | 'car' | 'truck' | 'bus' | 'trailer' | 'other';

export interface VehicleRegistrationTable {
  plate: string;
  personal_id: string;
  type: VehicleType;
  brand: string | null;
  registered_on: string;
}

export interface HealthInsuranceCardTable {
  card_number: string;
  personal_id: string;
  clinic: string;
  valid_from: string;
  valid_to: string | null;
}

export type AccountStatus = 'active' | 'locked' | 'revoked';
export type AccountLevel = 1 | 2;

export interface AccountTable {
  id: Generated<string>;
  personal_id: string;
  phone: string | null;
  phone_verified: Generated<boolean>;
  email: string | null;
  email_verified: Generated<boolean>;
  level: AccountLevel;
  status: Generated<AccountStatus>;
  password_hash: string;
  password_must_change: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Timestamp>;
}

export interface Schema {
  oidc_payloads: OidcPayloadTable;
  provider_keys: ProviderKeyTable;
  relying_parties: RelyingPartyTable;
  citizens: CitizenTable;
  provinces: ProvinceTable;
  citizen_relatives: CitizenRelativeTable;
  driver_licenses: DriverLicenseTable;
  vehicle_registrations: VehicleRegistrationTable;
  health_insurance_cards: HealthInsuranceCardTable;
  accounts: AccountTable;
}

export type Citizen = Selectable<CitizenTable>;
export type NewCitizen = Insertable<CitizenTable>;
export type Account = Selectable<AccountTable>;
