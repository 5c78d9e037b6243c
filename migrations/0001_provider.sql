-- oidc-provider artifacts (sessions, codes, tokens, grants, interactions …) in one table keyed by model and id.
CREATE TABLE oidc_payloads (
  model       text        NOT NULL,
  id          text        NOT NULL,
  payload     jsonb       NOT NULL,
  grant_id    text,
  uid         text,
  user_code   text,
  expires_at  timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_payloads_grant_id ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL;
CREATE UNIQUE INDEX oidc_payloads_uid ON oidc_payloads (model, uid) WHERE uid IS NOT NULL;
CREATE UNIQUE INDEX oidc_payloads_user_code ON oidc_payloads (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_payloads_expires_at ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL;

-- Keys the provider signs tokens and cookies with: generated on first start, shared by every instance.
CREATE TABLE provider_keys (
  kid        text        PRIMARY KEY,
  use        text        NOT NULL CHECK (use IN ('sig', 'cookie')),
  alg        text        NOT NULL,
  material   jsonb       NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);

-- Registered relying parties ("eligible to connect"), as oidc-provider client metadata.
CREATE TABLE relying_parties (
  client_id  text        PRIMARY KEY CHECK (length(client_id) BETWEEN 1 AND 255),
  metadata   jsonb       NOT NULL CHECK (metadata->>'client_id' = client_id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
