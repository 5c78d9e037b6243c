// Work a request starts but does not wait for (so its answer's timing reveals nothing about it), tracked so that
// shutdown, and tests, can wait for it to settle. Failures are logged, never thrown at anyone.
import type { Logger } from 'pino';

export interface Background {
  run(name: string, work: () => Promise<unknown>): void;
  /** Resolves once everything started so far has settled. */
  idle(): Promise<void>;
}

export function background(logger: Logger): Background {
  const pending = new Set<Promise<unknown>>();
  return {
    run(name, work) {
      const task = Promise.resolve()
        .then(work)
        .catch((error: unknown) => logger.warn({ err: error, task: name }, `${name} failed`))
        .finally(() => pending.delete(task));
      pending.add(task);
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
