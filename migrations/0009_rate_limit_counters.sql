-- Per-address rate limits counted where every instance sees them (when no Redis is configured): one fixed
-- window per key (route and client address), reset by the first hit after it ends, purged in the background.
CREATE TABLE rate_limit_counters (
  key            text        PRIMARY KEY CHECK (length(key) <= 300),
  hits           integer     NOT NULL CHECK (hits >= 1),
  window_ends_at timestamptz NOT NULL
);
CREATE INDEX rate_limit_counters_window_ends_at ON rate_limit_counters (window_ends_at);
