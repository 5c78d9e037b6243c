// The memory settings measured by the bench (src/runtime-tuning.ts) are the ones `npm start` and docker-compose
// give the provider: one list, checked against both, so they cannot drift apart.
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { SERVING_ENV, servingEnv } from '../../src/runtime-tuning.ts';

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
