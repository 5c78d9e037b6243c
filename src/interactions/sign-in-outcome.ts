// How a citizen's sign-in attempt ended, as a closed set: counted by the metrics (src/observability/), so a
// label never carries anything the citizen typed.
import type { Level } from '../oidc/levels.ts';

export const SIGN_IN_OUTCOMES = [
  'success',
  'missing_fields',
  'malformed_id',
  'invalid_credentials',
  'throttled',
  'locked',
  'revoked',
  'not_sandbox_citizen',
  // A level-2 request from an account without level 2 (or without a phone): sent to the upgrade page.
  'level_unavailable',
  'code_wrong',
  'code_expired',
  'code_too_many',
  'code_daily_limit',
  // QR sign-in: the citizen declined in the e-ID app, or the account it approved for can no longer sign in.
  'app_denied',
  'app_account_unavailable',
] as const;

export type SignInOutcome = (typeof SIGN_IN_OUTCOMES)[number];

/** Told each outcome and the level the service asked for (1 when it asked for none). */
export type SignInObserver = (outcome: SignInOutcome, level: Level) => void;
