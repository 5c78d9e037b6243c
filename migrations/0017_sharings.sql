-- Sharing by QR (issue 10): each credential issued to a citizen's device for a counter, and the first time a
-- counter verified it here (a second presentation of the same credential is refused as a replay).
CREATE TABLE sharings (
  id               text        PRIMARY KEY,  -- the credential's jti, also its key-binding nonce
  account_id       uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  device_id        text        NOT NULL REFERENCES app_devices (id) ON DELETE CASCADE,
  claims           text[]      NOT NULL,     -- names of the attributes in the credential, never values
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  presented_at     timestamptz,
  presented_claims text[],
  CHECK (expires_at > created_at)
);
CREATE INDEX sharings_account ON sharings (account_id, created_at);

-- A sharing is a disclosure like any other: it appears in the citizen's log beside what services received.
ALTER TABLE disclosures DROP CONSTRAINT disclosures_channel_check;
ALTER TABLE disclosures ADD CONSTRAINT disclosures_channel_check CHECK (channel IN ('id_token', 'userinfo', 'introspection', 'sharing'));
