-- When the account's sessions were last ended (a password change or reset, an officer's lock or revocation). A
-- browser whose sign-in proved the password before then is signed in no more, whatever row a request under way at
-- that moment wrote back (src/oidc/provider.ts, findAccount).
ALTER TABLE accounts ADD COLUMN sessions_ended_at timestamptz;

-- Ending an account's sessions also ends its sign-ins that proved the password but were not resumed yet
-- (src/oidc/grants.ts, endAccountSessions). Such an interaction lives for the moment between the password and the
-- browser's return: the index holds only those, not every interaction in progress.
CREATE INDEX oidc_payloads_proven_login ON oidc_payloads ((payload #>> '{result,login,accountId}'))
  WHERE model = 'Interaction' AND payload #>> '{result,login,accountId}' IS NOT NULL;
