// A provider that starts while its database is away (a restart, a failover, a compose file starting both at once,
// a worker replaced during an outage) waits for it, saying so in one line per try, instead of dying with a stack
// trace and leaving the retry to whatever restarts it. What will not pass by waiting (a wrong password, a database
// that does not exist) stops it at once, in one line that says which.
import { isDatabaseUnavailable } from './unavailable.ts';

const BACKOFF_MS = { first: 250, max: 5_000 };

/** The database did not come within the wait, or refused for a reason waiting will not change. */
export class DatabaseStartError extends Error {
  override name = 'DatabaseStartError';
}

// SQLSTATEs that mean the configuration is wrong: 28xxx invalid authorization, 3D000 no such database, 42501 no
// privilege (to create the schema). ENOTFOUND: no such host.
const MISCONFIGURED = /^(28[0-9A-Z]{3}|3D000|42501|ENOTFOUND)$/;

/** What went wrong, in the server's or the socket's words (never the URL, which may hold a password). */
export function reasonOf(error: unknown): string {
  const inner = firstOf(error);
  if (!(inner instanceof Error)) return String(inner);
  const code = (inner as { code?: unknown }).code;
  const causeCode = inner.cause instanceof Error ? (inner.cause as { code?: unknown }).code : undefined;
  const message = inner.message || (inner.cause instanceof Error ? inner.cause.message : '') || inner.name;
  const shown = typeof code === 'string' ? code : typeof causeCode === 'string' ? causeCode : undefined;
  return shown && !message.includes(shown) ? `${message} (${shown})` : message;
}

/** One line for an error that is the database's absence or its refusal (the CLI's commands do not wait); otherwise undefined. */
export function databaseProblem(error: unknown): string | undefined {
  if (misconfigured(error)) return reasonOf(error);
  if (isDatabaseUnavailable(error)) return `the database did not answer: ${reasonOf(error)}`;
  return undefined;
}

function misconfigured(error: unknown): boolean {
  const code = (firstOf(error) as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && MISCONFIGURED.test(code);
}

/** Node reports a failure to reach every address of a host as an AggregateError: the first one speaks for them. */
function firstOf(error: unknown): unknown {
  return error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
}

export interface WaitOptions {
  /** How long to keep trying, from the first try; 0: one try. */
  waitSeconds: number;
  /** Told of each failed try that will be retried. */
  onRetry: (details: { reason: string; retryInMs: number; waitedMs: number }) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Runs `attempt` (the first contact with the database) until it passes, the wait is over, or it fails for good. */
export async function whenDatabaseAnswers<T>(attempt: () => Promise<T>, options: WaitOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (misconfigured(error)) throw new DatabaseStartError(reasonOf(error), { cause: error });
      if (!isDatabaseUnavailable(error)) throw error;
      const waitedMs = now() - started;
      const leftMs = options.waitSeconds * 1000 - waitedMs;
      if (leftMs <= 0) {
        const waited = options.waitSeconds > 0 ? ` within ${options.waitSeconds} s (DATABASE_WAIT_SECONDS)` : '';
        throw new DatabaseStartError(`the database did not answer${waited}: ${reasonOf(error)}`, { cause: error });
      }
      const retryInMs = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** tries, leftMs);
      options.onRetry({ reason: reasonOf(error), retryInMs, waitedMs });
      await sleep(retryInMs);
    }
  }
}
