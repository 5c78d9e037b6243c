-- The client registry: how each relying party connects (profile), whether it may (state), what it is approved
-- for, who it is (organisation, shown to the citizen on consent) and its secret, stored hashed. The protocol
-- metadata oidc-provider reads stays in `metadata`; the registry's fields are columns it composes in.
ALTER TABLE relying_parties
  ADD COLUMN profile text NOT NULL DEFAULT 'public_service'
    CHECK (profile IN ('public_service', 'bank', 'service', 'sandbox', 'first_party')),
  ADD COLUMN state text NOT NULL DEFAULT 'approved' CHECK (state IN ('pending', 'approved', 'suspended')),
  ADD COLUMN state_reason text CHECK (state_reason <> ''),
  ADD COLUMN state_changed_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN max_level smallint NOT NULL DEFAULT 1 CHECK (max_level IN (1, 2)),
  ADD COLUMN scopes text[] NOT NULL DEFAULT '{openid}' CHECK (array_position(scopes, NULL) IS NULL),
  ADD COLUMN sector_identifier text CHECK (sector_identifier <> ''),
  ADD COLUMN consent_mode text NOT NULL DEFAULT 'choice' CHECK (consent_mode IN ('choice', 'notice')),
  ADD COLUMN organisation_name text CHECK (organisation_name <> ''),
  ADD COLUMN organisation_domain text CHECK (organisation_domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'),
  ADD COLUMN logo_uri text CHECK (logo_uri ~ '^https?://'),
  ADD COLUMN contacts text[] NOT NULL DEFAULT '{}',
  -- SHA-256 of a generated 256-bit secret, hex: a slow hash adds nothing to a secret nobody chose.
  ADD COLUMN secret_hash text CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  ADD COLUMN secret_rotated_at timestamptz,
  -- A client that needs a secret has one; the registry never holds one in clear.
  ADD CONSTRAINT relying_parties_no_clear_secret CHECK (NOT (metadata ? 'client_secret'));

-- Move what the metadata held into the registry (clients registered before it).
UPDATE relying_parties SET
  profile = CASE client_id WHEN 'sandbox' THEN 'sandbox' WHEN 'dinhdanh-account' THEN 'first_party'
            ELSE CASE WHEN metadata->'grant_types' = '["client_credentials"]'::jsonb THEN 'service' ELSE 'public_service' END END,
  max_level = CASE WHEN metadata->>'assurance_level' = '2' THEN 2 ELSE 1 END,
  scopes = CASE WHEN metadata ? 'scope' THEN regexp_split_to_array(trim(metadata->>'scope'), '\s+') ELSE '{openid}' END,
  consent_mode = COALESCE(NULLIF(metadata->>'consent_mode', ''), 'choice'),
  secret_hash = CASE WHEN metadata ? 'client_secret' THEN encode(sha256(convert_to(metadata->>'client_secret', 'UTF8')), 'hex') END,
  metadata = metadata - 'client_secret' - 'scope' - 'assurance_level' - 'consent_mode' - 'profile' - 'sector_identifier'
WHERE true;

CREATE INDEX relying_parties_state ON relying_parties (state, profile);

-- Operators run the client registry: staff of their own role, kept apart from the police desk's officers.
ALTER TABLE officers DROP CONSTRAINT officers_role_check;
ALTER TABLE officers ADD CONSTRAINT officers_role_check CHECK (role IN ('officer', 'supervisor', 'operator'));
ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_type_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_type_check CHECK (actor_type IN ('officer', 'citizen', 'system', 'operator'));
