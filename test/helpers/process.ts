// The provider and its operator commands as separate processes, the way an operator runs them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from './provider.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ProviderProcess {
  /** The process started: node itself, or npm when started through `npm start`. */
  child: ChildProcess;
  /** The node process serving (read from its first log line). */
  pid: number;
  url: string;
  output(): string;
  /** Sends the signal to `child` and waits for it to exit; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Environment for a process on its own embedded database in dataDir (no DATABASE_URL). */
export function embeddedEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...extra };
}

/** Starts `node src/main.ts` (or `npm start`) and waits until /readyz answers 200. */
export async function startProviderProcess(env: Record<string, string>, options: { viaNpm?: boolean } = {}): Promise<ProviderProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const [command, args] = options.viaNpm ? ['npm', ['start', '--silent']] : [process.execPath, ['src/main.ts']];
  const child = spawn(command, args, { cwd: ROOT, env: { ...env, HOST: '127.0.0.1', PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  // Generous: a guard against a hang, not a measure (a loaded machine takes minutes to create a database).
  const deadline = Date.now() + 200_000;
  while (!(await ready(url))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the provider did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // Started directly, the child is the provider (the primary, under WORKERS). Through npm it is npm, and the provider's
  // pid is read from its log, which reaches stdout in blocks (src/logger.ts): the first line may come just after the
  // server answers, and under WORKERS a worker's line may come before the primary's.
  for (let i = 0; i < 50 && !/"pid":\d+/.test(output); i++) await new Promise((r) => setTimeout(r, 100));
  const pid = options.viaNpm ? Number(/"pid":(\d+)/.exec(output)?.[1]) : child.pid!;
  return {
    child,
    pid,
    url,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
}

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `node src/cli.ts ...args` to completion. */
export function cli(env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, ['src/cli.ts', ...args], { cwd: ROOT, env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
