// A worker that keeps dying young is replaced ever more slowly, up to half a minute: never a hot crash loop.
import { expect, it } from 'vitest';
import { restartDelay } from '../../src/cluster.ts';

it('replaces a worker that lived at once, and backs off on deaths in a row up to 30 s', () => {
  expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map(restartDelay)).toEqual([0, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
});
