// `npm run bench`: benchmarks run on demand, never part of npm test. Figures are ratios within one run.
import { loginTiming } from './login-timing.ts';

const timing = await loginTiming(Number(process.env.ROUNDS ?? 60));
console.log(`sign-in timing, argon2id m=${timing.argon2.memoryCost} KiB t=${timing.argon2.timeCost} p=${timing.argon2.parallelism}, ${timing.rounds} rounds each, interleaved`);
for (const r of timing.rows) console.log(`  ${r.label.padEnd(28)} p50 ${r.p50.toFixed(1)} ms   p90 ${r.p90.toFixed(1)} ms`);
console.log(`  unknown / known (p50): ${timing.ratioP50.toFixed(3)}`);
