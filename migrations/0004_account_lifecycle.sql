-- The e-ID account lifecycle: officers, applications and their approval, lockout, password reset,
-- dependents, the SMS outbox and an append-only audit trail.

CREATE TABLE officers (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  username      text        NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{3,64}$'),
  full_name     text        NOT NULL CHECK (full_name <> ''),
  role          text        NOT NULL CHECK (role IN ('officer', 'supervisor')),
  police_unit   text        NOT NULL CHECK (police_unit <> ''),
  password_hash text        NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  disabled_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens of the officer API; only their SHA-256 is stored.
CREATE TABLE officer_sessions (
  token_hash text        PRIMARY KEY,
  officer_id uuid        NOT NULL REFERENCES officers (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX officer_sessions_expires_at ON officer_sessions (expires_at);

CREATE TABLE account_applications (
  id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  personal_id     text        NOT NULL REFERENCES citizens (personal_id),
  phone           text        NOT NULL CHECK (phone ~ '^\+84[35789][0-9]{8}$'),
  email           text        CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
  requested_level smallint    NOT NULL CHECK (requested_level IN (1, 2)),
  documents       text[]      NOT NULL DEFAULT '{}'
    CHECK (documents <@ ARRAY['driver_license', 'vehicle_registration', 'health_insurance', 'social_insurance']::text[]),
  dependents      text[]      NOT NULL DEFAULT '{}',
  status          text        NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'approved', 'rejected')),
  filed_by        uuid        NOT NULL REFERENCES officers (id),
  filed_at        timestamptz NOT NULL DEFAULT now(),
  decided_by      uuid        REFERENCES officers (id),
  decided_at      timestamptz,
  decision_reason text,
  -- Separation of duties: whoever filed an application never decides it.
  CONSTRAINT account_applications_separation_of_duties CHECK (decided_by IS DISTINCT FROM filed_by),
  CONSTRAINT account_applications_decision CHECK ((status = 'applied') = (decided_by IS NULL AND decided_at IS NULL)),
  CONSTRAINT account_applications_rejection_reason CHECK (status <> 'rejected' OR decision_reason <> ''),
  -- Children are registered, and documents integrated, only on a level-2 account.
  CONSTRAINT account_applications_dependents_level CHECK (cardinality(dependents) = 0 OR requested_level = 2),
  CONSTRAINT account_applications_documents_level CHECK (cardinality(documents) = 0 OR requested_level = 2)
);
CREATE UNIQUE INDEX account_applications_one_open ON account_applications (personal_id) WHERE status = 'applied';
CREATE INDEX account_applications_queue ON account_applications (status, filed_at);

ALTER TABLE accounts
  ADD COLUMN application_id       uuid REFERENCES account_applications (id),
  ADD COLUMN integrated_documents text[] NOT NULL DEFAULT '{}',
  -- While locked: until when (null: until an officer unlocks).
  ADD COLUMN locked_until         timestamptz,
  ADD COLUMN lock_reason          text CHECK (lock_reason IN ('failed_sign_ins', 'officer')),
  ADD CONSTRAINT accounts_lock_state CHECK ((status = 'locked') = (lock_reason IS NOT NULL)),
  ADD CONSTRAINT accounts_lock_until CHECK (status = 'locked' OR locked_until IS NULL);

-- Revoking an account deletes its sessions, grants and tokens: find them without a scan.
CREATE INDEX oidc_payloads_account ON oidc_payloads ((payload->>'accountId')) WHERE payload->>'accountId' IS NOT NULL;

-- Failed sign-ins by personal ID number, for every number typed (with an account or not), so that the
-- lockout message never tells which numbers have accounts.
CREATE TABLE sign_in_failures (
  personal_id       text        PRIMARY KEY CHECK (personal_id ~ '^[0-9]{12}$'),
  failures          integer     NOT NULL CHECK (failures > 0),
  window_started_at timestamptz NOT NULL,
  locked_until      timestamptz
);
CREATE INDEX sign_in_failures_window ON sign_in_failures (window_started_at);

-- A child under 14 is registered under one guardian's account.
CREATE TABLE account_dependents (
  dependent_personal_id text        PRIMARY KEY REFERENCES citizens (personal_id),
  guardian_account_id   uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  registered_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_dependents_guardian ON account_dependents (guardian_account_id);

-- One live reset code per account; only a keyed hash of the code is stored.
CREATE TABLE password_reset_codes (
  account_id uuid        PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  code_hash  text        NOT NULL,
  expires_at timestamptz NOT NULL,
  attempts   smallint    NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Messages to citizens' phones. In development and the sandbox they stay here to be read; with a gateway
-- configured they are delivered and their text erased.
CREATE TABLE sms_outbox (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient    text        NOT NULL CHECK (recipient ~ '^\+84[35789][0-9]{8}$'),
  purpose      text        NOT NULL CHECK (purpose IN ('first_password', 'password_reset', 'sign_in_code')),
  body         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  -- A dispatcher claims a message for a while, so two instances never send it twice.
  claimed_until timestamptz,
  attempts     smallint    NOT NULL DEFAULT 0,
  last_error   text
);
CREATE INDEX sms_outbox_pending ON sms_outbox (id) WHERE delivered_at IS NULL;

CREATE TABLE audit_events (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor_type   text        NOT NULL CHECK (actor_type IN ('officer', 'citizen', 'system')),
  actor_id     text,
  action       text        NOT NULL,
  subject_type text,
  subject_id   text,
  detail       jsonb       NOT NULL DEFAULT '{}',
  ip           text
);
CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id, at);

-- Append-only: history cannot be rewritten, whoever holds the connection.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
