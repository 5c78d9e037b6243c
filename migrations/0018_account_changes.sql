-- Every change to an account or a citizen's record is announced to all instances (LISTEN/NOTIFY), so the
-- accounts each one keeps in memory (src/accounts/account-cache.ts) are dropped the moment it commits, whichever
-- code path or tool made it. Row by row for accounts (few rows at a time); one notice per statement for the
-- population record, which an import changes by the million: it empties every cache at once.
CREATE FUNCTION announce_account_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    PERFORM pg_notify('dinhdanh_account_changes', '');
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('dinhdanh_account_changes', OLD.id::text);
  ELSE
    PERFORM pg_notify('dinhdanh_account_changes', NEW.id::text);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER accounts_announce_change AFTER UPDATE OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION announce_account_change();
CREATE TRIGGER citizens_announce_change AFTER UPDATE OR DELETE ON citizens
  FOR EACH STATEMENT EXECUTE FUNCTION announce_account_change();
