// `npm run bench [-- login import lookup]`: benchmarks run on demand, never part of npm test. Figures are
// comparisons within one run. import and lookup need PostgreSQL: BENCH_DATABASE_URL=postgres://… (a database
// of their own is created there and dropped); BENCH_COUNT sets the population (default 1,000,000).
import { createBenchDatabase, importBench, loadRecords } from './import.ts';
import { loginTiming, resetRequestTiming } from './login-timing.ts';
import { createAccounts, lookupBench } from './lookup.ts';
import { writeResults } from './results.ts';
import { memoryBench, scalingBench } from './scaling.ts';
import { throughputBench } from './throughput.ts';

const ALL = ['login', 'import', 'lookup', 'throughput', 'scaling', 'memory'];
const args = process.argv.slice(2);
const wanted = new Set(args.length > 0 ? args : (process.env.BENCH?.split(',') ?? ALL));
for (const name of wanted) if (!ALL.includes(name)) throw new Error(`unknown benchmark ${name} (${ALL.join(', ')})`);
const f = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

if (wanted.has('login')) {
  const timing = await loginTiming(Number(process.env.ROUNDS ?? 60));
  console.log(`sign-in timing, argon2id m=${timing.argon2.memoryCost} KiB t=${timing.argon2.timeCost} p=${timing.argon2.parallelism}, ${timing.rounds} rounds each, interleaved`);
  for (const r of timing.rows) console.log(`  ${r.label.padEnd(28)} p50 ${r.p50.toFixed(1)} ms   p90 ${r.p90.toFixed(1)} ms`);
  console.log(`  unknown / known (p50): ${timing.ratioP50.toFixed(3)}`);
  const reset = await resetRequestTiming(Number(process.env.RESET_ROUNDS ?? 80));
  console.log(`password-reset code request timing, ${reset.rounds} rounds each, interleaved over HTTP (every request for the account stores a code and queues an SMS)`);
  for (const r of reset.rows) console.log(`  ${r.label.padEnd(28)} p50 ${r.p50.toFixed(2)} ms   p90 ${r.p90.toFixed(2)} ms`);
  console.log(`  with / without account (p50): ${reset.ratioP50.toFixed(3)}`);
}

if (wanted.has('import') || wanted.has('lookup')) {
  const adminUrl = process.env.BENCH_DATABASE_URL;
  const count = Number(process.env.BENCH_COUNT ?? 1_000_000);
  if (!adminUrl) {
    console.log('import and lookup benchmarks skipped: set BENCH_DATABASE_URL=postgres://user@host:5432/postgres');
  } else {
    const bench = await createBenchDatabase(adminUrl);
    try {
      if (wanted.has('import')) {
        const r = await importBench(bench.url, count);
        console.log(`population import, ${f(count)} generated records (${f(r.fileMiB)} MiB of NDJSON; ${Object.entries(r.rows).map(([t, n]) => `${t} ${f(n)}`).join(', ')})`);
        console.log(`  raw COPY of the same rows       ${f(r.copy.perSecond)} records/s (${r.copy.seconds.toFixed(1)} s)`);
        console.log(`  npm run cli -- import           ${f(r.first.perSecond)} records/s (${r.first.seconds.toFixed(1)} s), ${f((100 * r.first.perSecond) / r.copy.perSecond)} % of raw COPY, peak RSS ${r.first.peakRssMiB} MB`);
        console.log(`  same file again (all unchanged) ${f(r.again.perSecond)} records/s (${r.again.seconds.toFixed(1)} s), peak RSS ${r.again.peakRssMiB} MB`);
        console.log(`  counts: first ${JSON.stringify(r.first.counts)}, again ${JSON.stringify(r.again.counts)}`);
      } else {
        await loadRecords(bench.url, count);
      }
      if (wanted.has('lookup')) {
        await createAccounts(bench.url, 20);
        const r = await lookupBench(bench.url, Number(process.env.LOOKUPS ?? 10_000));
        console.log(`account lookup by ID number (accounts.findByPersonalId), ${f(r.citizens)} citizens, ${f(r.accounts)} accounts`);
        console.log(`  ${f(r.lookups)} lookups one after another (${f(r.found)} found): p50 ${r.p50.toFixed(2)} ms   p90 ${r.p90.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   max ${r.max.toFixed(2)} ms`);
        console.log('  plans of the queries a failed sign-in runs:');
        for (const { query, plan } of r.plans) {
          console.log(`    ${query.replace(/\s+/g, ' ').slice(0, 110)}${query.length > 110 ? '…' : ''}`);
          for (const line of plan) console.log(`      ${line}`);
        }
      }
    } finally {
      await bench.drop();
    }
  }
}

const ms = (value: number | undefined) => (value === undefined ? 'unknown' : `${value.toFixed(1)} ms`);

/**
 * What item b's CPU figures allow: the hash's share of the provider's own CPU (the ratio on cores the provider has
 * to itself); the same for oidc-provider alone running the flow, plus the hash (what a provider adding nothing to
 * the engine would give); and the most any provider could reach while the load generator and PostgreSQL share
 * its cores.
 */
function signInBounds(cpu: { provider?: number; loadGenerator?: number; postgres?: number }, hash: number, engine: number): string[] {
  if (cpu.provider === undefined || cpu.loadGenerator === undefined) return [];
  const beside = cpu.loadGenerator + (cpu.postgres ?? 0);
  return [
    `     oidc-provider alone, the same flow with its own forms in memory: ${ms(engine)} of CPU per sign-in`,
    `     on cores of its own: one verify / the provider's CPU per sign-in ${(hash / cpu.provider).toFixed(2)}; with the engine alone's flow instead ${(hash / (hash + engine)).toFixed(2)}`,
    `     with the load generator${cpu.postgres === undefined ? '' : ' and PostgreSQL'} on these cores, even a provider costing only the hash would reach at most ${(hash / (hash + beside)).toFixed(2)}`,
  ];
}

if (wanted.has('throughput')) {
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    console.log('throughput benchmark skipped: set BENCH_DATABASE_URL=postgres://user@host:5432/postgres');
  } else {
    const bench = await createBenchDatabase(adminUrl);
    try {
      const parameters = { seconds: Number(process.env.SECONDS ?? 10), rounds: Number(process.env.ROUNDS ?? 3), connections: Number(process.env.CONNECTIONS ?? 20), signInConcurrency: Number(process.env.SIGN_IN_CONCURRENCY ?? 4) };
      const r = await throughputBench({ databaseUrl: bench.url, ...parameters });
      const lines = [
        `throughput, ${r.cores} cores, b and c in ${parameters.rounds} alternating rounds of ${parameters.seconds} s, ${parameters.connections} connections (load generator on the same cores)`,
        `  a. client_credentials (ES256 JWT for an API), req/s: full stack ${r.clientCredentials.full.map((n) => f(n)).join(' / ')}; oidc-provider alone ${r.clientCredentials.bare.map((n) => f(n)).join(' / ')}`,
        `     ratio (median of ${r.clientCredentials.full.length} pairs of ${r.clientCredentials.roundSeconds} s rounds) ${r.clientCredentials.ratio.toFixed(2)}   target >= 0.80 (ratio of the medians ${r.clientCredentials.ratioOfMedians.toFixed(2)})`,
        ...(Number.isFinite(r.clientCredentials.cpuRatio)
          ? [`     CPU per answer: full stack ${r.clientCredentials.fullCpuUs.map((n) => f(n)).join(' / ')} us; oidc-provider alone ${r.clientCredentials.bareCpuUs.map((n) => f(n)).join(' / ')} us; ratio (median of pairs) ${r.clientCredentials.cpuRatio.toFixed(2)}`]
          : []),
        `  b. complete sign-ins/s with ${parameters.signInConcurrency} at once: ${r.signIns.full.map((n) => f(n, 1)).join(' / ')}; argon2id verifies/s alone ${r.signIns.argon2.map((n) => f(n, 1)).join(' / ')}`,
        `     ratio (medians) ${r.signIns.ratio.toFixed(2)}   target >= 0.85; a sign-in takes p50 ${r.signIns.p50.toFixed(0)} ms, p99 ${r.signIns.p99.toFixed(0)} ms, ${r.signIns.queries.toFixed(1)} database queries`,
        `     CPU per sign-in: provider ${ms(r.signIns.cpuMs.provider)}, load generator ${ms(r.signIns.cpuMs.loadGenerator)}, PostgreSQL ${ms(r.signIns.cpuMs.postgres)} (if on this machine); one argon2id verify alone ${ms(r.signIns.argon2CpuMs)}`,
        ...signInBounds(r.signIns.cpuMs, r.signIns.argon2CpuMs, r.signIns.engineCpuMs),
        ...Object.entries(r.latency).map(([name, l]) => [`  c. ${name.padEnd(13)} max ${f(l.max)} req/s; at half that rate for ${r.halfRateSeconds} s (after ${r.warmUpSeconds} s not counted) p50 ${l.p50} ms, p99 ${l.p99} ms   target p99 < 20 ms; ${l.queries.toFixed(1)} queries each; ${l.fullGcsPer10k.toFixed(1)} full GCs per 10,000 answers`,
          `     oidc-provider alone, introspection in memory at the same rate: p50 ${l.engineAlone.p50} ms, p99 ${l.engineAlone.p99} ms`,
          `     the provider's CPU per answer: ${f(l.cpuUsAtMax)} us at the maximum rate, ${f(l.cpuUsAtHalf)} us at half of it (${f((l.cpuUsAtHalf * l.max) / 2 / 1e4)} % of a core)`,
        ]).flat(),
      ];
      for (const line of lines) console.log(line);
      console.log(`  written to ${await writeResults('throughput', parameters, lines, r)}`);
    } finally {
      await bench.drop();
    }
  }
}

if (wanted.has('scaling') || wanted.has('memory')) {
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) {
    console.log('scaling and memory benchmarks skipped: set BENCH_DATABASE_URL=postgres://user@host:5432/postgres');
  } else {
    const bench = await createBenchDatabase(adminUrl);
    try {
      if (wanted.has('scaling')) {
        const parameters = { seconds: Number(process.env.SECONDS ?? 10), processes: (process.env.PROCESSES ?? '1,2,4').split(',').map(Number) };
        const rows = await scalingBench(bench.url, parameters);
        const one = rows[0]!;
        const lines = [
          `scaling with processes (WORKERS) on one PostgreSQL, ${parameters.seconds} s each, load generator on the same cores`,
          ...rows.map((r) => `  ${String(r.processes).padStart(2)} process(es): client_credentials ${f(r.clientCredentials)} req/s (${(r.clientCredentials / one.clientCredentials).toFixed(2)}x), sign-ins ${f(r.signIns, 1)}/s (${(r.signIns / one.signIns).toFixed(2)}x)`),
        ];
        for (const line of lines) console.log(line);
        console.log(`  written to ${await writeResults('scaling', parameters, lines, rows)}`);
      }
      if (wanted.has('memory')) {
        const count = Number(process.env.SIGN_INS ?? 100_000);
        const lines = [`resident memory of one process across ${f(count)} complete sign-ins (4 at once), sampled every second`];
        const results: Record<string, unknown> = {};
        // MEMORY_ENGINES=postgres (or pglite) runs one: a 100,000-sign-in run takes most of an hour on two cores.
        const engines = (process.env.MEMORY_ENGINES ?? 'postgres,pglite').split(',');
        const both = [['PostgreSQL', { databaseUrl: bench.url }], ['embedded PGlite', {}]] as const;
        for (const [label, engine] of both.filter(([label]) => engines.includes(label === 'PostgreSQL' ? 'postgres' : 'pglite'))) {
          const r = await memoryBench(engine, count);
          results[label] = r;
          lines.push(`  ${label.padEnd(16)} peak ${f(r.peakMiB)} MiB; over the second half ${f(r.secondHalf.min)}–${f(r.secondHalf.max)} MiB   target < 250 MiB on PostgreSQL, flat`);
          lines.push(`  ${''.padEnd(16)} mean by quarter ${r.quarterMeans.map((m) => f(m)).join(' / ')} MiB; trend over the second half ${r.secondHalf.trendMiBPer10k >= 0 ? '+' : ''}${r.secondHalf.trendMiBPer10k.toFixed(1)} MiB per 10,000 sign-ins`);
          // Read every 10 s: a run shorter than about 40 s leaves a quarter without a reading.
          if (r.heapByQuarter.every((h) => Number.isFinite(h.totalMiB))) lines.push(`  ${''.padEnd(16)} of it, by quarter: V8 heap ${r.heapByQuarter.map((h) => f(h.totalMiB)).join(' / ')} MiB (in use ${r.heapByQuarter.map((h) => f(h.usedMiB)).join(' / ')}); outside V8's heap ${r.heapByQuarter.map((h) => f(h.outsideMiB)).join(' / ')} MiB`);
        }
        for (const line of lines) console.log(line);
        console.log(`  written to ${await writeResults('memory', { signIns: count }, lines, results)}`);
      }
    } finally {
      await bench.drop();
    }
  }
}
