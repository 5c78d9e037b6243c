// Every PostgreSQL advisory-lock number the provider takes, in one place: two uses sharing a number
// block each other (a provider starting while an import ran used to hang on a shared 727002).
export const ADVISORY_LOCKS = {
  /** Concurrent starts on one database migrate one at a time. */
  migration: 727_001,
  /** First-start generation of signing keys, cookie keys and the pairwise salt. */
  keys: 727_002,
  /** One population import at a time per database. */
  import: 727_003,
  /** The instance that runs the background jobs (purge, SMS dispatch), held for as long as it lives. */
  backgroundJobs: 727_004,
  /** With a second key (a hash of client and login_hint): one bank's CIBA requests for one citizen, counted and written in turn. */
  cibaWaiting: 727_005,
} as const;

// A duplicate number here is the bug this file exists to prevent; fail at load, not by hanging later.
if (new Set(Object.values(ADVISORY_LOCKS)).size !== Object.keys(ADVISORY_LOCKS).length) {
  throw new Error('two advisory locks share a number in src/db/locks.ts');
}
