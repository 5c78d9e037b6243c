-- Officer sign-in: a lockout per username typed, and a TOTP second factor enrolled at first sign-in.

-- Failed officer sign-ins by username typed (an officer's or not), shaped like sign_in_failures.
CREATE TABLE officer_sign_in_failures (
  username          text        PRIMARY KEY CHECK (char_length(username) BETWEEN 1 AND 64),
  failures          integer     NOT NULL CHECK (failures > 0),
  window_started_at timestamptz NOT NULL,
  locked_until      timestamptz
);
CREATE INDEX officer_sign_in_failures_window ON officer_sign_in_failures (window_started_at);

-- The TOTP secret is stored sealed (AES-256-GCM, 'v1.' prefix), never in the clear. totp_last_step is the
-- newest 30-second step whose code was accepted: a code is good once.
ALTER TABLE officers
  ADD COLUMN totp_secret       text CHECK (totp_secret LIKE 'v1.%'),
  ADD COLUMN totp_confirmed_at timestamptz,
  ADD COLUMN totp_last_step    bigint,
  ADD CONSTRAINT officers_totp_confirmed CHECK (totp_confirmed_at IS NULL OR totp_secret IS NOT NULL);

-- An enrolment in progress: the password was right, the officer has no confirmed TOTP yet; the token proves
-- the password for a few minutes, until a current code confirms the new secret.
CREATE TABLE officer_totp_enrolments (
  token_hash  text        PRIMARY KEY,
  officer_id  uuid        NOT NULL UNIQUE REFERENCES officers (id) ON DELETE CASCADE,
  totp_secret text        NOT NULL CHECK (totp_secret LIKE 'v1.%'),
  expires_at  timestamptz NOT NULL
);
