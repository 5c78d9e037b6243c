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
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
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
  accounts: AccountTable;
}

export type Citizen = Selectable<CitizenTable>;
export type NewCitizen = Insertable<CitizenTable>;
export type Account = Selectable<AccountTable>;
