-- Back-channel authentication requests (OpenID Connect CIBA) waiting for the citizen's answer in the e-ID app.
-- The provider keeps its own BackchannelAuthenticationRequest (oidc_payloads); this row is what the app lists and
-- answers, what makes an answer happen once (pending -> approved | denied), and the poll pace (slow_down).
CREATE TABLE ciba_requests (
  -- The provider's auth_req_id: known to the bank, never shown to the app.
  auth_req_id     text        PRIMARY KEY,
  -- The app's handle for the request (random, unguessable).
  id              text        NOT NULL UNIQUE CHECK (id ~ '^[A-Za-z0-9_-]{20,64}$'),
  -- NULL: nobody the app can ask (no such account, not level 2, locked or revoked, no device). The request is
  -- accepted all the same, so that a bank learns nothing about who has an account; it can only expire.
  account_id      uuid        REFERENCES accounts (id) ON DELETE CASCADE,
  client_id       text        NOT NULL REFERENCES relying_parties (client_id) ON DELETE CASCADE,
  -- HMAC of the login_hint (the personal ID number) under a server key: how many requests one bank has waiting for
  -- one number, counted alike whether the number is anyone's or not. The number itself is not kept.
  hint_digest     text        NOT NULL CHECK (length(hint_digest) = 43),
  -- Who asks, as the registry named the service when the request came.
  service_name    text        NOT NULL CHECK (length(service_name) BETWEEN 1 AND 300),
  service_domain  text        CHECK (length(service_domain) <= 300),
  binding_message text        CHECK (length(binding_message) BETWEEN 1 AND 100),
  scopes          text[]      NOT NULL,
  -- The claim names the service will receive if the citizen approves (within its approval and level).
  claims          text[]      NOT NULL DEFAULT '{}',
  level           smallint    NOT NULL CHECK (level IN (1, 2)),
  status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  -- The device that answered (app_devices.id); kept as history, so no foreign key.
  device_id       text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  answered_at     timestamptz,
  -- Poll mode: the client's last token request for it, and the interval it must keep (slow_down adds 5 s).
  last_polled_at  timestamptz,
  poll_interval   integer     NOT NULL CHECK (poll_interval BETWEEN 1 AND 3600),
  CHECK ((status = 'pending') = (answered_at IS NULL)),
  CHECK (status = 'pending' OR account_id IS NOT NULL)
);
CREATE INDEX ciba_requests_pending ON ciba_requests (account_id, expires_at) WHERE status = 'pending';
CREATE INDEX ciba_requests_expiry ON ciba_requests (expires_at);
CREATE INDEX ciba_requests_client ON ciba_requests (client_id, hint_digest, expires_at) WHERE status = 'pending';
CREATE INDEX ciba_requests_client_all ON ciba_requests (client_id);
