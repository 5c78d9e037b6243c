-- The e-ID app's devices: an ES256 public key generated on the citizen's phone, bound to a level-2 account by an
-- enrolment (password and SMS code). The private key never leaves the device; the server keeps the public key only.
CREATE TABLE app_devices (
  id           text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{20,64}$'),
  account_id   uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
  public_jwk   jsonb       NOT NULL CHECK (public_jwk ->> 'kty' = 'EC' AND public_jwk ->> 'crv' = 'P-256' AND NOT public_jwk ? 'd'),
  -- RFC 7638 thumbprint: one key is bound to one device, ever.
  jkt          text        NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  removed_at   timestamptz
);
CREATE INDEX app_devices_account ON app_devices (account_id, created_at);

-- An enrolment between its two steps: who proved the password, the challenge the device key signs, and until when.
-- The SMS code itself lives in sign_in_codes under 'app-enrolment:<id>' (the sign-in code machinery and limits).
CREATE TABLE app_enrolments (
  id           text        PRIMARY KEY,
  account_id   uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  challenge    text        NOT NULL,
  expires_at   timestamptz NOT NULL,
  completed_at timestamptz,
  device_id    text        REFERENCES app_devices (id) ON DELETE SET NULL
);
CREATE INDEX app_enrolments_expires_at ON app_enrolments (expires_at);

-- The jti of every device proof accepted in its time window, shared by all instances: a proof is accepted once.
CREATE TABLE app_device_proofs (
  device_id  text        NOT NULL REFERENCES app_devices (id) ON DELETE CASCADE,
  jti        text        NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, jti)
);
CREATE INDEX app_device_proofs_expires_at ON app_device_proofs (expires_at);

-- Sandbox only: the private keys of the devices the app simulator (/sandbox/app) plays. Never written in production.
CREATE TABLE sandbox_app_device_keys (
  device_id   text        PRIMARY KEY REFERENCES app_devices (id) ON DELETE CASCADE,
  private_jwk jsonb       NOT NULL,
  created_at  timestamptz NOT NULL
);
