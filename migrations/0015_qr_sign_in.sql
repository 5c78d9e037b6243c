-- QR cross-device sign-in (issue 10): one row per QR code a sign-in page shows. The code carries only the random
-- id; one e-ID app device claims it (a second device is refused), the citizen approves or denies on the device,
-- and the browser that showed it uses an approval once. Times come from the provider's clock, not now().
CREATE TABLE qr_sign_in_requests (
  id                text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{22,64}$'),
  -- The sign-in (oidc-provider interaction) that showed the code; only its browser can use the outcome.
  interaction_uid   text        NOT NULL,
  client_id         text        NOT NULL,
  -- What the app shows before the citizen decides: the service, its domain, the level and the data asked for.
  shown             jsonb       NOT NULL,
  created_at        timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  device_id         text        REFERENCES app_devices (id) ON DELETE CASCADE,
  account_id        uuid        REFERENCES accounts (id) ON DELETE CASCADE,
  scanned_at        timestamptz,
  decision          text        CHECK (decision IN ('approved', 'denied')),
  user_verification text        CHECK (user_verification IN ('pin', 'biometric')),
  decided_at        timestamptz,
  used_at           timestamptz,
  CHECK (expires_at > created_at),
  CHECK ((device_id IS NULL) = (scanned_at IS NULL) AND (device_id IS NULL) = (account_id IS NULL)),
  CHECK ((decision IS NULL) = (decided_at IS NULL) AND (decision IS NULL OR device_id IS NOT NULL)),
  CHECK ((decision = 'approved') = (user_verification IS NOT NULL)),
  CHECK (used_at IS NULL OR decision IS NOT NULL)
);
CREATE INDEX qr_sign_in_requests_interaction ON qr_sign_in_requests (interaction_uid, created_at);
CREATE INDEX qr_sign_in_requests_expiry ON qr_sign_in_requests (expires_at);
CREATE INDEX qr_sign_in_requests_device ON qr_sign_in_requests (device_id) WHERE device_id IS NOT NULL;
CREATE INDEX qr_sign_in_requests_account ON qr_sign_in_requests (account_id) WHERE account_id IS NOT NULL;
