// argon2 hashes beyond the process's share of the cores wait their turn instead of all running at once.
import { expect, it } from 'vitest';
import { passwordHasher } from '../../src/accounts/passwords.ts';

it('runs at most `concurrency` hashes at once; the rest queue and all complete', async () => {
  const hasher = passwordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1, concurrency: 1 });
  const stored = await hasher.hash('mật khẩu đúng');
  const checks = [hasher.verify(stored, 'mật khẩu đúng'), hasher.verify(stored, 'sai'), hasher.verify(stored, 'mật khẩu đúng')];
  expect(hasher.queued()).toBe(2);
  expect(await Promise.all(checks)).toEqual([true, false, true]);
  expect(hasher.queued()).toBe(0);
});
