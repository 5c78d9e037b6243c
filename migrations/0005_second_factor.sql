-- One-time sign-in codes sent by SMS for level 2: one per interaction, short-lived, stored as an HMAC.
CREATE TABLE sign_in_codes (
  interaction_uid text        PRIMARY KEY,
  account_id      uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  code_hash       text        NOT NULL,
  expires_at      timestamptz NOT NULL,
  attempts        smallint    NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  sends           smallint    NOT NULL DEFAULT 1 CHECK (sends >= 1),
  last_sent_at    timestamptz NOT NULL
);
CREATE INDEX sign_in_codes_expires_at ON sign_in_codes (expires_at);

-- "How many codes went to this phone today?" (reset codes are capped per day) must not scan the outbox.
CREATE INDEX sms_outbox_recipient ON sms_outbox (recipient, purpose, created_at);
