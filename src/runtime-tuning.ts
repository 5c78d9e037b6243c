// How a serving process runs, measured with `npm run bench -- memory` (docs/capacity.md): without these, one
// instance grew to 440 MiB resident under sustained sign-ins; with them it stays under 200 MiB.
// - MALLOC_MMAP_THRESHOLD_: argon2 takes a 19 MiB block per hash from malloc on a libuv thread; glibc then keeps each
//   thread's block in that thread's arena for good (4 threads, 78 MiB). A fixed threshold maps such blocks and
//   returns them when the hash is done.
// - a young generation of 4 MiB semi-spaces and an old generation capped at 256 MiB (the live heap is about 50 MiB):
//   V8 collects before it grows, instead of growing because it may.
// npm start sets both (package.json); a NODE_OPTIONS or MALLOC_MMAP_THRESHOLD_ of the operator's own wins.
export const SERVING_ENV = {
  MALLOC_MMAP_THRESHOLD_: '131072',
  NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=256',
} as const;

/** The environment for a serving process: ours, under whatever the operator set. */
export function servingEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(SERVING_ENV).map(([name, value]) => [name, env[name] ?? value]));
}
