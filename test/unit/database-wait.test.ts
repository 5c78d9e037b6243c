// A starting provider waits for a database that is away, and stops at once, in plain words, when waiting will not help.
import { describe, expect, it } from 'vitest';
import { DatabaseStartError, databaseProblem, whenDatabaseAnswers } from '../../src/db/wait.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

/** A clock that only the waits move; `failures` errors, then an answer. */
function trial(failures: unknown[], waitSeconds: number) {
  let clock = 0;
  const waits: number[] = [];
  const retries: Array<{ reason: string; retryInMs: number; waitedMs: number }> = [];
  let tries = 0;
  const result = whenDatabaseAnswers(
    async () => {
      const failure = failures[tries++];
      if (failure !== undefined) throw failure;
      return 'migrated';
    },
    {
      waitSeconds,
      onRetry: (details) => retries.push(details),
      sleep: async (ms) => void waits.push(ms, (clock += ms)),
      now: () => clock,
    },
  );
  return { result, waits: () => waits.filter((_, i) => i % 2 === 0), retries, tries: () => tries };
}

describe('waiting for the database at start', () => {
  it('retries a refused connection with growing pauses, up to 5 s each, and goes on once it answers', async () => {
    const refused = withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
    const run = trial(Array(8).fill(refused), 60);
    await expect(run.result).resolves.toBe('migrated');
    expect(run.waits()).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    expect(run.retries[0]).toEqual({ reason: 'connect ECONNREFUSED 127.0.0.1:5432', retryInMs: 250, waitedMs: 0 });
  });

  it('a server starting up or shutting down mid-migration is waited for too', async () => {
    const run = trial([withCode('the database system is starting up', '57P03'), new Error('migration 0003_x.sql failed: terminating connection', { cause: withCode('terminating connection due to administrator command', '57P01') })], 60);
    await expect(run.result).resolves.toBe('migrated');
    expect(run.retries.map((r) => r.reason)).toEqual(['the database system is starting up (57P03)', 'migration 0003_x.sql failed: terminating connection (57P01)']);
  });

  it('gives up when the wait is over, naming the setting and the last reason', async () => {
    const run = trial(Array(100).fill(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')), 10);
    const error = await run.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseStartError);
    expect((error as Error).message).toBe('the database did not answer within 10 s (DATABASE_WAIT_SECONDS): connect ECONNREFUSED 127.0.0.1:5432');
    // The last pause is cut to what is left of the 10 s: 250 + 500 + 1000 + 2000 + 4000 + 2250.
    expect(run.waits()).toEqual([250, 500, 1000, 2000, 4000, 2250]);
  });

  it('with no wait, one try', async () => {
    const run = trial([withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')], 0);
    await expect(run.result).rejects.toThrow('the database did not answer: connect ECONNREFUSED');
    expect(run.tries()).toBe(1);
  });

  it('a wrong password, a missing database or host stops it at once', async () => {
    for (const [error, reason] of [
      [withCode('password authentication failed for user "dinhdanh"', '28P01'), 'password authentication failed for user "dinhdanh" (28P01)'],
      [withCode('database "nosuch" does not exist', '3D000'), 'database "nosuch" does not exist (3D000)'],
      [withCode('getaddrinfo ENOTFOUND db.example', 'ENOTFOUND'), 'getaddrinfo ENOTFOUND db.example'],
    ] as const) {
      const run = trial([error], 60);
      await expect(run.result).rejects.toEqual(new DatabaseStartError(reason));
      expect(run.tries()).toBe(1);
    }
  });

  it('a bug is not a reason to wait: it comes out as it was', async () => {
    const bug = new TypeError('x is undefined');
    const run = trial([bug], 60);
    await expect(run.result).rejects.toBe(bug);
    expect(run.tries()).toBe(1);
  });
});

describe("the CLI's one line for a database problem", () => {
  it('names the absence or the refusal, and leaves a bug to its stack trace', () => {
    expect(databaseProblem(new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''))).toBe('the database did not answer: connect ECONNREFUSED ::1:5432');
    expect(databaseProblem(withCode('password authentication failed for user "x"', '28P01'))).toBe('password authentication failed for user "x" (28P01)');
    expect(databaseProblem(withCode('duplicate key value violates unique constraint', '23505'))).toBeUndefined();
    expect(databaseProblem(new TypeError('x is undefined'))).toBeUndefined();
  });
});
