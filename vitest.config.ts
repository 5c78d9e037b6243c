import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: more parallel files only slow each other down (argon2 and PGlite are CPU-bound).
    maxWorkers: 2,
  },
});
