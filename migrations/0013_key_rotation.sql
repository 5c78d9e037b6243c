-- Signing-key rotation. A key is published in /jwks from the moment it is stored; it signs from activates_at
-- until its successor's activates_at (deactivated_at); it leaves /jwks at retired_at, once every token it
-- signed has expired. Keys stored before rotation existed are active from when they were made.
ALTER TABLE provider_keys ADD COLUMN activates_at timestamptz;
ALTER TABLE provider_keys ADD COLUMN deactivated_at timestamptz;
UPDATE provider_keys SET activates_at = created_at;
ALTER TABLE provider_keys ALTER COLUMN activates_at SET NOT NULL;
ALTER TABLE provider_keys ALTER COLUMN activates_at SET DEFAULT now();
ALTER TABLE provider_keys ADD CONSTRAINT provider_keys_lifecycle_order CHECK (
  (deactivated_at IS NULL OR deactivated_at >= activates_at) AND (retired_at IS NULL OR deactivated_at IS NULL OR retired_at >= deactivated_at)
);
