// The memory settings measured by the bench (src/runtime-tuning.ts) are the ones `npm start` and docker-compose
// give the provider: one list, checked against both, so they cannot drift apart.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { SERVING_ENV, servingEnv } from '../../src/runtime-tuning.ts';

const run = promisify(execFile);
const read = (file: string) => readFile(new URL(`../../${file}`, import.meta.url), 'utf8');

it('npm start sets each setting, and leaves an operator’s own value alone', async () => {
  const start = JSON.parse(await read('package.json')).scripts.start as string;
  for (const [name, value] of Object.entries(SERVING_ENV)) expect(start).toContain(`\${${name}:-${value}}`);
  expect(servingEnv({ NODE_OPTIONS: '--max-old-space-size=1024' })).toEqual({ ...SERVING_ENV, NODE_OPTIONS: '--max-old-space-size=1024' });
});

it('docker-compose gives every replica the same settings', async () => {
  const compose = await read('docker-compose.yml');
  for (const [name, value] of Object.entries(SERVING_ENV)) expect(compose).toContain(`${name}: "${value}"`);
});

// What a full GC leaves times (1 + percent), plus the young generation's room: the old generation's next limit,
// as V8 itself reports it (--trace-gc-nvp) in a process that applied the setting from inside, as serve.ts does.
async function nextLimit(percent: number): Promise<{ live: number; limit: number }> {
  const script = `
    import { tuneHeap } from ${JSON.stringify(new URL('../../src/runtime-tuning.ts', import.meta.url).href)};
    tuneHeap(${percent});
    const kept = Array.from({ length: 3000 }, (_, i) => Array.from({ length: 1000 }, (_, j) => i + j));
    gc();
    gc();
    console.log('kept', kept.length);`;
  const { stdout } = await run(process.execPath, ['--expose-gc', '--trace-gc-nvp', '--max-semi-space-size=4', '--input-type=module', '-e', script]);
  const full = stdout.split('\n').filter((line) => line.includes('gc=mc')).at(-1)!;
  const field = (name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(full)![1]);
  return { live: field('end_object_size'), limit: field('old_gen_allocation_limit') };
}

it('a serving process lets its old generation grow by HEAP_GROWING_PERCENT between full GCs', async () => {
  const at40 = await nextLimit(40);
  const at100 = await nextLimit(100);
  // The same live heap both times; the limits differ by the 60 points between the settings, no more.
  expect(Math.abs(at100.live - at40.live) / at40.live).toBeLessThan(0.01);
  expect((at100.limit - at40.limit) / at40.live).toBeCloseTo(0.6, 1);
  expect(at40.limit / at40.live).toBeGreaterThan(1.4);
});
