// One process at a time on an embedded (PGlite) data directory. PGlite is a single-process database: a second
// process on the same files writes past the first and corrupts them, so whoever opens the directory holds
// `<dir>.lock` for its lifetime. The lock names its holder (pid and the kernel's start time of that pid), so a
// holder killed with SIGKILL leaves a lock the next opener recognises as stale and takes over at once.
// It guards processes of one machine (one kernel); a data directory on a network file system shared by
// several hosts is not supported.
import { mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, relative } from 'node:path';

export interface LockHolder {
  pid: number;
  /** Start time of the pid in clock ticks since boot (Linux /proc), to tell a reused pid from the holder. */
  startTicks?: number;
  host: string;
  command: string;
  since: string;
}

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** The directory is held by another process (or another opener in this one). */
export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
  readonly holder: LockHolder | undefined;
  constructor(dataDir: string, holder: LockHolder | undefined) {
    const who = holder
      ? `process ${holder.pid} (${holder.command}, on ${holder.host} since ${holder.since})`
      : 'another process (its lock file is being written)';
    super(
      `the embedded database in ${dataDir} is in use by ${who}.\n` +
        `Stop that process first and try again. To run several processes on one database (provider instances, imports, ` +
        `operator commands side by side), use PostgreSQL: set DATABASE_URL.`,
    );
    this.holder = holder;
  }
}

/** Takes the lock on dataDir or throws DatabaseInUseError naming the holder. Released by release() or at exit. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = `${dataDir.replace(/\/+$/, '')}.lock`;
  const me: LockHolder = { pid: process.pid, ...ticks(process.pid), host: hostname(), command: describeCommand(), since: new Date().toISOString() };
  const text = `${JSON.stringify(me)}\n`;
  mkdirSync(dirname(path), { recursive: true });
  // Further rounds follow the removal of a stale lock.
  for (let round = 0; round < 3; round++) {
    try {
      writeFileSync(path, text, { flag: 'wx', mode: 0o644 });
      return held(path, text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const found = readLock(path);
    if (found === undefined) continue; // removed between our attempt and the read
    const holder = parseHolder(found);
    if (holder ? isAlive(holder) : isFresh(path)) throw new DatabaseInUseError(dataDir, holder);
    removeStale(path, found);
  }
  throw new DatabaseInUseError(dataDir, parseHolder(readLock(path) ?? ''));
}

function held(path: string, text: string): DataDirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    // Only our own lock: never a lock someone else took after judging ours stale.
    if (readLock(path) === text) unlinkSync(path);
  };
  // A process that ends without closing the database (an uncaught error, process.exit) still leaves no lock.
  process.on('exit', release);
  return { path, release };
}

/** Removes a stale lock unless it changed meanwhile: a short-lived breaker directory makes check-and-remove atomic. */
function removeStale(path: string, staleText: string) {
  const breaker = `${path}.break`;
  try {
    mkdirSync(breaker);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A breaker left by an opener killed in these few microseconds.
    if (Date.now() - statSync(breaker, { throwIfNoEntry: false })!.mtimeMs > 10_000) rmdirSync(breaker);
    return;
  }
  try {
    if (readLock(path) === staleText) unlinkSync(path);
  } finally {
    rmdirSync(breaker);
  }
}

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as LockHolder;
    return Number.isSafeInteger(value.pid) && value.pid > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** An unreadable lock is being written right now, or was cut short by a crash long ago. */
function isFresh(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat !== undefined && Date.now() - stat.mtimeMs < 5_000;
}

function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: the pid exists under another user.
  }
  const now = ticks(holder.pid).startTicks;
  return holder.startTicks === undefined || now === undefined || now === holder.startTicks;
}

/** Field 22 of /proc/PID/stat (after the parenthesised command name, which may contain spaces). */
function ticks(pid: number): { startTicks?: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isSafeInteger(value) ? { startTicks: value } : {};
  } catch {
    return {};
  }
}

function describeCommand(): string {
  const [script, ...args] = process.argv.slice(1);
  return ['node', script ? relative(process.cwd(), script) || script : '', ...args].filter(Boolean).join(' ');
}
