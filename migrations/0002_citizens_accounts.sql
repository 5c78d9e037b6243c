-- The population record (minimal: what sign-in and level-1 claims need; the full record comes with the registry).
CREATE TABLE citizens (
  personal_id text        PRIMARY KEY CHECK (personal_id ~ '^[0-9]{12}$'),
  family_name text        NOT NULL CHECK (family_name <> ''),
  middle_name text        NOT NULL DEFAULT '',
  given_name  text        NOT NULL CHECK (given_name <> ''),
  birthdate   date        NOT NULL,
  sex         text        NOT NULL CHECK (sex IN ('male', 'female')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- An e-ID account: at most one per citizen; login name is the personal ID number.
CREATE TABLE accounts (
  id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  personal_id          text        NOT NULL UNIQUE REFERENCES citizens (personal_id) ON DELETE RESTRICT,
  phone                text        CHECK (phone ~ '^\+84[35789][0-9]{8}$'),
  phone_verified       boolean     NOT NULL DEFAULT false,
  email                text        CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
  email_verified       boolean     NOT NULL DEFAULT false,
  level                smallint    NOT NULL CHECK (level IN (1, 2)),
  status               text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked', 'revoked')),
  password_hash        text        NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  password_must_change boolean     NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
