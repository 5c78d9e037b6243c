-- A row a request found (a session, a grant) is written back only over what is still there. Ending an account's
-- sessions (a password reset, a lock) or revoking a service deletes rows while a request that read them may still be
-- running: an upsert at its end put them back, and a browser, or an intruder holding its cookie, kept a session the
-- reset had ended. Rows the request created are inserted as before.
CREATE OR REPLACE PROCEDURE write_provider_state(gone jsonb, stored jsonb) LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM oidc_payloads AS o
   USING jsonb_to_recordset(gone) AS g(model text, id text)
   WHERE o.model = g.model AND o.id = g.id;
  UPDATE oidc_payloads AS o
     SET payload = s.payload, grant_id = s.grant_id, uid = s.uid, user_code = s.user_code, expires_at = s.expires_at
    FROM jsonb_to_recordset(stored) AS s(model text, id text, payload jsonb, grant_id text, uid text, user_code text, expires_at timestamptz, found boolean)
   WHERE s.found AND o.model = s.model AND o.id = s.id;
  INSERT INTO oidc_payloads (model, id, payload, grant_id, uid, user_code, expires_at)
  SELECT s.model, s.id, s.payload, s.grant_id, s.uid, s.user_code, s.expires_at
    FROM jsonb_to_recordset(stored) AS s(model text, id text, payload jsonb, grant_id text, uid text, user_code text, expires_at timestamptz, found boolean)
   WHERE s.found IS NOT TRUE
  ON CONFLICT (model, id) DO UPDATE SET
    payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
    user_code = excluded.user_code, expires_at = excluded.expires_at;
END
$$;
