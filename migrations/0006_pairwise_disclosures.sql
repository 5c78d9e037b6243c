-- A stored secret for pairwise subjects (they must never change), and the log of what each service received.
ALTER TABLE provider_keys DROP CONSTRAINT provider_keys_use_check;
ALTER TABLE provider_keys ADD CONSTRAINT provider_keys_use_check CHECK (use IN ('sig', 'cookie', 'pairwise'));

-- Every release of claims to a relying party: which claims (names, never values), at which level, when.
CREATE TABLE disclosures (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  client_id  text        NOT NULL,
  channel    text        NOT NULL CHECK (channel IN ('id_token', 'userinfo', 'introspection')),
  claims     text[]      NOT NULL,
  acr        text,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX disclosures_account ON disclosures (account_id, client_id, at);
