import v8 from 'node:v8';

// How a serving process runs, measured with `npm run bench -- memory` (docs/capacity.md): without these, one
// instance grew to 440 MiB resident under sustained sign-ins; with them it stays near 215 MiB.
// - glibc malloc: argon2 takes a 19 MiB block per hash on a libuv thread. By default each thread gets an arena of
//   its own that keeps its block for good (4 threads, 78 MiB). One arena (MALLOC_ARENA_MAX) keeps only the blocks
//   of the hashes that ran at once and reuses them; the thresholds keep such blocks in the arena (not mapped per
//   hash) and the arena from handing them back between hashes. Returning each block (MALLOC_MMAP_THRESHOLD_=131072,
//   as before) made every hash fault in 19 MiB of fresh pages: 3.5 times the CPU per hash (106 ms against 30).
// - an old generation capped at 256 MiB (the live heap is about 50 MiB): V8 collects before it grows, instead of
//   growing because it may.
// - a young generation of 8 MiB semi-spaces: at 1,000 userinfo or introspection answers/s, about 510 young GCs in
//   30 s instead of 1,000 at 4 MiB, half the time in them, and 0–1 full GCs instead of 3 (fewer requests outlive a
//   young GC). 16 MiB halved the young GCs again but cost 20–30 MiB more at the peak (docs/capacity.md, eighth look).
// npm start sets them all (package.json); a value of the operator's own wins. The heap's growth between full GCs
// is set from inside each serving process (tuneHeap, below).

export const SERVING_ENV = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_MMAP_THRESHOLD_: '33554432',
  MALLOC_TRIM_THRESHOLD_: '67108864',
  NODE_OPTIONS: '--max-semi-space-size=8 --max-old-space-size=256',
} as const;

/** The environment for a serving process: ours, under whatever the operator set. */
export function servingEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(SERVING_ENV).map(([name, value]) => [name, env[name] ?? value]));
}

/**
 * How much the old generation may grow past what a full GC left before the next one (HEAP_GROWING_PERCENT).
 * V8's own factor for this heap is about 1.25, and it starts marking some 7 MB before that limit: with a live heap
 * near 50 MB a full GC came every 7 MB promoted, every 4–5 s at 1,200 userinfo answers/s, and each one's marking
 * took a core from the answers for 40–70 ms (item c's tail, docs/capacity.md). At 40 % they come 2–3 times less
 * often, for about 8 MiB more resident at the peak (209 → 217 MiB over 3,000 sign-ins). Set from inside the
 * process, since NODE_OPTIONS refuses the flag.
 */
export const HEAP_GROWING_PERCENT = 40;

/** Applies the old generation's growth (0: V8 decides). */
export function tuneHeap(percent: number = HEAP_GROWING_PERCENT): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
