-- Each level-2 account's daily allowance of SMS sign-in codes: codes sent and wrong codes tried, across every
-- sign-in. Per sign-in limits alone let whoever holds the password start sign-in after sign-in, guessing on and
-- flooding the citizen's phone. Counted in one row per account so that every instance shares the count.
CREATE TABLE sign_in_code_allowances (
  account_id        uuid        PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  window_started_at timestamptz NOT NULL,
  codes_sent        integer     NOT NULL DEFAULT 0 CHECK (codes_sent >= 0),
  wrong_codes       integer     NOT NULL DEFAULT 0 CHECK (wrong_codes >= 0)
);
CREATE INDEX sign_in_code_allowances_window ON sign_in_code_allowances (window_started_at);

-- A code that has expired is worth nothing to its citizen and is never sent late (null: no expiry).
ALTER TABLE sms_outbox ADD COLUMN expires_at timestamptz;
