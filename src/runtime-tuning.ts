// How a serving process runs, measured with `npm run bench -- memory` (docs/capacity.md): without these, one
// instance grew to 440 MiB resident under sustained sign-ins; with them it stays near 215 MiB.
// - glibc malloc: argon2 takes a 19 MiB block per hash on a libuv thread. By default each thread gets an arena of
//   its own that keeps its block for good (4 threads, 78 MiB). One arena (MALLOC_ARENA_MAX) keeps only the blocks
//   of the hashes that ran at once and reuses them; the thresholds keep such blocks in the arena (not mapped per
//   hash) and the arena from handing them back between hashes. Returning each block (MALLOC_MMAP_THRESHOLD_=131072,
//   as before) made every hash fault in 19 MiB of fresh pages: 3.5 times the CPU per hash (106 ms against 30).
// - a young generation of 4 MiB semi-spaces and an old generation capped at 256 MiB (the live heap is about 50 MiB):
//   V8 collects before it grows, instead of growing because it may.
// npm start sets them all (package.json); a value of the operator's own wins.
export const SERVING_ENV = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_MMAP_THRESHOLD_: '33554432',
  MALLOC_TRIM_THRESHOLD_: '67108864',
  NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=256',
} as const;

/** The environment for a serving process: ours, under whatever the operator set. */
export function servingEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(SERVING_ENV).map(([name, value]) => [name, env[name] ?? value]));
}
