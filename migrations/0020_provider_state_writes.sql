-- What one protocol request changed in the provider's state, written in one round trip and in order: first the
-- rows it ended, then the rows it stored. A session whose id changes keeps its uid, which is unique: its old row
-- must be gone before the new one is written, as no single statement's CTEs can promise. A procedure, so that
-- query metrics count the call as what it is (operation "call"), not as a read; PL/pgSQL, whose plans are kept
-- by each connection (a SQL-language body is planned again on every call: twice the database's CPU here).
CREATE PROCEDURE write_provider_state(gone jsonb, stored jsonb) LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM oidc_payloads AS o
   USING jsonb_to_recordset(gone) AS g(model text, id text)
   WHERE o.model = g.model AND o.id = g.id;
  INSERT INTO oidc_payloads (model, id, payload, grant_id, uid, user_code, expires_at)
  SELECT s.model, s.id, s.payload, s.grant_id, s.uid, s.user_code, s.expires_at
    FROM jsonb_to_recordset(stored) AS s(model text, id text, payload jsonb, grant_id text, uid text, user_code text, expires_at timestamptz)
  ON CONFLICT (model, id) DO UPDATE SET
    payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
    user_code = excluded.user_code, expires_at = excluded.expires_at;
END
$$;
