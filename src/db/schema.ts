// Table types for Kysely. Column names stay snake_case as in migrations/.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { AppDeviceProofTable, AppDeviceTable, AppEnrolmentTable, CibaRequestTable, QrSignInRequestTable, SandboxAppDeviceKeyTable, SharingTable } from './schema-app.ts';
import type { OfficerSessionTable, OfficerSignInFailureTable, OfficerTable, OfficerTotpEnrolmentTable } from './schema-officers.ts';
export type * from './schema-app.ts';
export type * from './schema-officers.ts';

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
  use: 'sig' | 'cookie' | 'pairwise';
  alg: string;
  material: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  /** From when the key signs (signing keys; a rotation sets it ahead, past relying parties' JWKS caches). */
  activates_at: Generated<Date>;
  /** When it stopped signing: its successor's activates_at. */
  deactivated_at: Date | null;
  /** When it leaves /jwks (and is no longer used at all). */
  retired_at: Date | null;
}

export type ClientProfile = 'public_service' | 'bank' | 'service' | 'sandbox' | 'first_party';
export type ClientState = 'pending' | 'approved' | 'suspended';

export interface RelyingPartyTable {
  client_id: string;
  /** Protocol metadata as oidc-provider reads it, without the registry's fields and never a secret. */
  metadata: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  profile: Generated<ClientProfile>;
  state: Generated<ClientState>;
  state_reason: string | null;
  state_changed_at: Generated<Date>;
  max_level: Generated<1 | 2>;
  scopes: Generated<string[]>;
  sector_identifier: string | null;
  consent_mode: Generated<'choice' | 'notice'>;
  organisation_name: string | null;
  organisation_domain: string | null;
  logo_uri: string | null;
  contacts: Generated<string[]>;
  secret_hash: string | null;
  secret_rotated_at: Date | null;
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
  application_id: string | null;
  integrated_documents: Generated<DocumentKind[]>;
  locked_until: Date | null;
  lock_reason: LockReason | null;
  sessions_ended_at: Date | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export type LockReason = 'failed_sign_ins' | 'officer';
export type DocumentKind = 'driver_license' | 'vehicle_registration' | 'health_insurance' | 'social_insurance';
export type ApplicationStatus = 'applied' | 'approved' | 'rejected';

export interface AccountApplicationTable {
  id: Generated<string>;
  personal_id: string;
  phone: string;
  email: string | null;
  requested_level: AccountLevel;
  documents: Generated<DocumentKind[]>;
  dependents: Generated<string[]>;
  status: Generated<ApplicationStatus>;
  filed_by: string;
  filed_at: Generated<Date>;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
}

export interface SignInFailureTable {
  personal_id: string;
  failures: number;
  window_started_at: Date;
  locked_until: Date | null;
}

export interface AccountDependentTable {
  dependent_personal_id: string;
  guardian_account_id: string;
  registered_at: Generated<Date>;
}

export interface PasswordResetCodeTable {
  account_id: string;
  code_hash: string;
  expires_at: Date;
  attempts: Generated<number>;
  created_at: Generated<Date>;
}

export type SmsPurpose = 'first_password' | 'password_reset' | 'sign_in_code' | 'device_bound' | 'phone_changed';

export interface SmsOutboxTable {
  id: Generated<number>;
  recipient: string;
  purpose: SmsPurpose;
  body: string | null;
  created_at: Generated<Date>;
  delivered_at: Date | null;
  claimed_until: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
  expires_at: Date | null;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: Generated<Date>;
  actor_type: 'officer' | 'citizen' | 'system' | 'operator';
  actor_id: string | null;
  action: string;
  subject_type: string | null;
  subject_id: string | null;
  detail: ColumnType<Record<string, unknown>, string | undefined, never>;
  ip: string | null;
}

export interface SignInCodeTable {
  interaction_uid: string;
  account_id: string;
  code_hash: string;
  expires_at: Date;
  attempts: Generated<number>;
  sends: Generated<number>;
  last_sent_at: Date;
}

export interface SignInCodeAllowanceTable {
  account_id: string;
  window_started_at: Date;
  codes_sent: Generated<number>;
  wrong_codes: Generated<number>;
}

export interface SandboxSeedTable {
  kind: 'officer' | 'relying_party' | 'citizen';
  key: string;
}

export type DisclosureChannel = 'id_token' | 'userinfo' | 'introspection' | 'sharing';

export interface DisclosureTable {
  id: Generated<number>;
  account_id: string;
  client_id: string;
  channel: DisclosureChannel;
  claims: string[];
  acr: string | null;
  at: ColumnType<Date, Date | undefined, never>;
}

/** Hits per route and client address in the current fixed window (src/http/rate-limit-counters.ts). */
export interface RateLimitCounterTable {
  key: string;
  hits: number;
  window_ends_at: Date;
}

/** An API that services get access tokens for (RFC 8707 resource indicator), migrations/0012. */
export interface ResourceServerTable {
  identifier: string;
  name: string;
  scopes: string[];
  access_token_format: 'jwt' | 'opaque';
  access_token_ttl: Generated<number>;
  introspection_client_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** The scopes one client may get at one resource server. */
export interface ResourceServerGrantTable {
  client_id: string;
  resource: string;
  scopes: string[];
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
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
  officers: OfficerTable;
  officer_sessions: OfficerSessionTable;
  officer_totp_enrolments: OfficerTotpEnrolmentTable;
  officer_sign_in_failures: OfficerSignInFailureTable;
  account_applications: AccountApplicationTable;
  sign_in_failures: SignInFailureTable;
  account_dependents: AccountDependentTable;
  password_reset_codes: PasswordResetCodeTable;
  sms_outbox: SmsOutboxTable;
  audit_events: AuditEventTable;
  sign_in_codes: SignInCodeTable;
  sign_in_code_allowances: SignInCodeAllowanceTable;
  disclosures: DisclosureTable;
  sandbox_seed: SandboxSeedTable;
  rate_limit_counters: RateLimitCounterTable;
  resource_servers: ResourceServerTable;
  resource_server_grants: ResourceServerGrantTable;
  ciba_requests: CibaRequestTable;
  qr_sign_in_requests: QrSignInRequestTable;
  sharings: SharingTable;
  app_devices: AppDeviceTable;
  app_enrolments: AppEnrolmentTable;
  app_device_proofs: AppDeviceProofTable;
  sandbox_app_device_keys: SandboxAppDeviceKeyTable;
}

export type Citizen = Selectable<CitizenTable>;
export type NewCitizen = Insertable<CitizenTable>;
export type Account = Selectable<AccountTable>;
