// `node bench/forwarded-for.ts [one|two|redis|forged-direct]`: 200 sign-in form posts from one client that forges
// X-Forwarded-For (20 addresses in turn), once at one ID number and once at 200 different numbers; counts how many
// were checked (argon2 ran: 401) and how many were refused, by the per-address limit (429 "too many requests from
// your network") or by the per-number lockout (429 "too many failed attempts"). Default limits
// (SIGN_IN_RATE_PER_MINUTE=60, LOCKOUT_MAX_FAILURES=5). Then 200 officer sign-ins at one supervisor the same way
// (per-username lockout, 10 officer sign-ins per address a minute). BENCH_DATABASE_URL=postgres://… uses PostgreSQL.
//   one:           1 instance, TRUST_PROXY=1, behind a proxy that appends the real address
//   two:           2 instances on one database, each behind its own proxy, posts alternating
//   redis:         as two, counted in Redis (127.0.0.1:6379, a prefix of its own, deleted afterwards)
//   forged-direct: 1 instance, TRUST_PROXY=true, posts straight to it (the finding; refused at start since the fix)
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createTestDatabase } from '../test/helpers/database.ts';
import { startForwardingProxy } from '../test/helpers/forwarding-proxy.ts';
import { startProvider, type RunningProvider } from '../test/helpers/provider.ts';
import { csrfToken, formAction, UserAgent } from '../test/helpers/user-agent.ts';

const mode = process.argv[2] ?? 'one';
if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
const prefix = `dinhdanh-bench:${randomUUID()}:`;
let runs = 0;
const env: Record<string, string> = {
  TRUST_PROXY: mode === 'forged-direct' ? 'true' : '1',
  ...(mode === 'redis' ? { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix } : {}),
};

async function run(label: string, username: (i: number) => string) {
  // A fresh database and fresh instances for each case, so one case's counts never carry into the next.
  const testDb = await createTestDatabase();
  if (env.REDIS_URL) env.REDIS_KEY_PREFIX = `${prefix}${++runs}:`;
  const first = await startProvider(testDb, { env });
  const instances: RunningProvider[] = [first];
  if (mode === 'two' || mode === 'redis') instances.push(await startProvider(testDb, { database: first.database, env: { ...env, ISSUER: first.url } }));
  const proxies = mode === 'forged-direct' ? [] : await Promise.all(instances.map((i) => startForwardingProxy(i.url)));
  const entries = proxies.length > 0 ? proxies.map((p) => p.url) : instances.map((i) => i.url);
  // Every password check (argon2), on every instance: the figure that matters to a guesser.
  let checks = 0;
  for (const instance of instances) {
    const passwords = instance.services.passwords;
    const verify = passwords.verify.bind(passwords);
    const verifyNothing = passwords.verifyNothing.bind(passwords);
    passwords.verify = (...args) => (checks++, verify(...args));
    passwords.verifyNothing = (...args) => (checks++, verifyNothing(...args));
  }
  try {
    if (username(0) === 'giamsat') {
      // Officer sign-in (JSON): the per-username lockout answers `temporarily_locked`.
      const tally = { address: 0, lockout: 0, answered: 0 };
      for (let i = 0; i < 200; i++) {
        const response = await fetch(new URL('/admin/sessions', entries[i % entries.length]), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${(i % 20) + 1}` },
          body: JSON.stringify({ username: 'giamsat', password: `guess-${i}`, otp: '123456' }),
        });
        const body = (await response.json()) as { error?: string };
        if (response.status === 429 && body.error === 'temporarily_locked') tally.lockout++;
        else if (response.status === 429) tally.address++;
        else tally.answered++;
      }
      console.log(`${mode.padEnd(13)} ${label.padEnd(22)} argon2 checks ${checks}; refused by the address limit ${tally.address}, by the per-username lockout ${tally.lockout}, other answers ${tally.answered}`);
      return;
    }
    const agent = new UserAgent();
    const auth = `${first.url}/auth?${new URLSearchParams({ client_id: 'sandbox', response_type: 'code', scope: 'openid', redirect_uri: 'http://localhost:8080/callback', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`;
    const { page } = await agent.follow(auth, first.url);
    const path = formAction(page!.html, 'login');
    const tally = { address: 0, lockout: 0, answered: 0 };
    for (let i = 0; i < 200; i++) {
      const response = await agent.request(new URL(path, entries[i % entries.length]).href, {
        form: { _csrf: csrfToken(page!.html), username: username(i), password: `guess-${i}` },
        headers: { 'x-forwarded-for': `198.51.100.${(i % 20) + 1}` },
      });
      const html = await response.text();
      if (response.status === 429 && html.includes('Có quá nhiều yêu cầu từ mạng của bạn')) tally.address++;
      else if (response.status === 429) tally.lockout++;
      else tally.answered++;
    }
    console.log(`${mode.padEnd(13)} ${label.padEnd(22)} argon2 checks ${checks}; refused by the address limit ${tally.address}, by the per-number lockout ${tally.lockout}, other answers ${tally.answered}`);
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
    for (const instance of instances.reverse()) await instance.close();
    await testDb.drop();
  }
}

try {
  await run('one ID number', () => '001090012345');
  await run('200 different numbers', (i) => `0010900${String(10_000 + i).padStart(5, '0')}`);
  await run('officer giamsat', () => 'giamsat');
} finally {
  if (mode === 'redis') {
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}
