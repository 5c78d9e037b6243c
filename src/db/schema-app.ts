// Table types of the e-ID app's features (src/devices/, src/sharing/): devices, their proofs and enrolments, QR
// sign-ins, back-channel (CIBA) requests and sharings. Part of Schema (schema.ts).
import type { ColumnType, Generated } from 'kysely';

type Json<T = unknown> = ColumnType<T, string, string>;

/** A credential issued for sharing at a counter (src/sharing/), and its first verification here. */
export interface SharingTable {
  id: string;
  account_id: string;
  device_id: string;
  claims: string[];
  created_at: Date;
  expires_at: Date;
  presented_at: Date | null;
  presented_claims: string[] | null;
}

/** A back-channel (CIBA) authentication request as the e-ID app sees and answers it (src/devices/ciba-requests.ts). */
export interface CibaRequestTable {
  auth_req_id: string;
  id: string;
  account_id: string | null;
  client_id: string;
  hint_digest: string;
  service_name: string;
  service_domain: string | null;
  binding_message: string | null;
  scopes: string[];
  claims: string[];
  level: 1 | 2;
  status: Generated<'pending' | 'approved' | 'denied'>;
  device_id: string | null;
  created_at: Generated<Date>;
  expires_at: Date;
  answered_at: Date | null;
  last_polled_at: Date | null;
  poll_interval: number;
}

/** A QR code a sign-in page showed, and what the e-ID app did with it (migrations/0015, src/devices/qr-sign-in/). */
export interface QrSignInRequestTable {
  id: string;
  interaction_uid: string;
  client_id: string;
  shown: Json<Record<string, unknown>>;
  created_at: Date;
  expires_at: Date;
  device_id: string | null;
  account_id: string | null;
  scanned_at: Date | null;
  decision: 'approved' | 'denied' | null;
  user_verification: 'pin' | 'biometric' | null;
  decided_at: Date | null;
  used_at: Date | null;
}

// The e-ID app's devices (migrations/0014_app_devices.sql; queries in src/devices/).
export interface AppDeviceTable {
  id: string;
  account_id: string;
  name: string;
  public_jwk: Json<Record<string, unknown>>;
  jkt: string;
  created_at: Date;
  last_used_at: Date | null;
  removed_at: Date | null;
}

export interface AppEnrolmentTable {
  id: string;
  account_id: string;
  challenge: string;
  expires_at: Date;
  completed_at: Date | null;
  device_id: string | null;
}

export interface AppDeviceProofTable {
  device_id: string;
  jti: string;
  expires_at: Date;
}

export interface SandboxAppDeviceKeyTable {
  device_id: string;
  private_jwk: Json<Record<string, unknown>>;
  created_at: Date;
}
