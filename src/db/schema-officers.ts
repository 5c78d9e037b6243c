// Table types of officers: their accounts, second factor, sign-in failures and sessions. Part of Schema (schema.ts).
import type { Generated } from 'kysely';

export type OfficerRole = 'officer' | 'supervisor' | 'operator';

export interface OfficerTable {
  id: Generated<string>;
  username: string;
  full_name: string;
  role: OfficerRole;
  police_unit: string;
  password_hash: string;
  disabled_at: Date | null;
  created_at: Generated<Date>;
  /** Sealed (src/admin/totp.ts); null until an enrolment is confirmed. */
  totp_secret: Generated<string | null>;
  totp_confirmed_at: Generated<Date | null>;
  /** The newest 30-second step whose code was accepted. */
  totp_last_step: Generated<number | null>;
}

export interface OfficerTotpEnrolmentTable {
  token_hash: string;
  officer_id: string;
  totp_secret: string;
  expires_at: Date;
}

export interface OfficerSignInFailureTable {
  username: string;
  failures: number;
  window_started_at: Date;
  locked_until: Date | null;
}

export interface OfficerSessionTable {
  token_hash: string;
  officer_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
}
