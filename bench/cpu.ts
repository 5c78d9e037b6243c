// CPU time by process, read from Linux's /proc: where a sign-in's CPU goes (the provider, the load generator,
// PostgreSQL when it runs on this machine). Elsewhere (no /proc) every figure is undefined and left out.
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ, the unit of utime and stime in /proc/PID/stat: 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) a process has used so far; with `reaped`, its ended children's too. */
export function processCpuSeconds(pid: number, reaped = false): number | undefined {
  try {
    // The command name may hold spaces and parentheses: fields are counted after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const children = reaped ? Number(fields[13]) + Number(fields[14]) : 0;
    return (Number(fields[11]) + Number(fields[12]) + children) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by every PostgreSQL process of this machine (server and backends). A backend that ends
 * takes its CPU out of the sum, and the server that reaps it adds the same to its children's: both are counted.
 */
export function postgresCpuSeconds(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  let total = 0;
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += processCpuSeconds(Number(pid), true) ?? 0;
    } catch {
      // The process ended while being read.
    }
  }
  return total;
}

export interface CpuShares {
  provider?: number;
  loadGenerator: number;
  postgres?: number;
}

/** CPU so far of the provider, this process and PostgreSQL; cpuSince turns two readings into the seconds between. */
export function cpuNow(providerPid: number): CpuShares {
  const own = process.cpuUsage();
  return { provider: processCpuSeconds(providerPid), loadGenerator: (own.user + own.system) / 1e6, postgres: postgresCpuSeconds() };
}

export function cpuSince(before: CpuShares, after: CpuShares): CpuShares {
  const minus = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : a - b);
  return { provider: minus(after.provider, before.provider), loadGenerator: after.loadGenerator - before.loadGenerator, postgres: minus(after.postgres, before.postgres) };
}
