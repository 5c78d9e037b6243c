-- APIs (resource servers, RFC 8707) that services get access tokens for, and which client may have which of
-- their scopes. Read by the provider on every token request naming a `resource` (src/oidc/resource-indicators.ts).

-- API scopes are RFC 6749 scope tokens (printable ASCII but space, '"' and '\'), at least one, none empty or NULL.
-- Joined with spaces they must match the scope syntax, and split again they must give back as many: an element
-- with a space, an empty element or a NULL (dropped by array_to_string) changes the count or breaks the syntax.
CREATE TABLE resource_servers (
  identifier              text        PRIMARY KEY
                                      CHECK (length(identifier) <= 2000 AND identifier ~ '^[A-Za-z][A-Za-z0-9+.-]*:[^#[:space:]]+$'),
  name                    text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  scopes                  text[]      NOT NULL
                                      CHECK (cardinality(scopes) BETWEEN 1 AND 100
                                             AND array_to_string(scopes, ' ') ~ '^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$'
                                             AND cardinality(string_to_array(array_to_string(scopes, ' '), ' ')) = cardinality(scopes)),
  access_token_format     text        NOT NULL DEFAULT 'jwt' CHECK (access_token_format IN ('jwt', 'opaque')),
  access_token_ttl        integer     NOT NULL DEFAULT 600 CHECK (access_token_ttl BETWEEN 60 AND 86400),
  -- The resource server's own confidential client (profile 'service'): it may introspect tokens whose
  -- audience is this resource server, and nothing else.
  introspection_client_id text        REFERENCES relying_parties (client_id) ON DELETE SET NULL,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX resource_servers_introspection_client ON resource_servers (introspection_client_id)
  WHERE introspection_client_id IS NOT NULL;

-- Which scopes a client may get at a resource server; no row, no access (invalid_target).
CREATE TABLE resource_server_grants (
  client_id  text        NOT NULL REFERENCES relying_parties (client_id) ON DELETE CASCADE,
  resource   text        NOT NULL REFERENCES resource_servers (identifier) ON DELETE CASCADE,
  scopes     text[]      NOT NULL
                         CHECK (cardinality(scopes) BETWEEN 1 AND 100
                                AND array_to_string(scopes, ' ') ~ '^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$'
                                AND cardinality(string_to_array(array_to_string(scopes, ' '), ' ')) = cardinality(scopes)),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, resource)
);
CREATE INDEX resource_server_grants_resource ON resource_server_grants (resource);
