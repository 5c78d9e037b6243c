// A burst of parallel guesses gets no more password checks than the lockout allows.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { authenticate } from '../../src/accounts/authenticate.ts';
import { accountServices, type AccountServices } from '../../src/accounts/services.ts';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { relyingPartiesQueries } from '../../src/oidc/relying-parties.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD, seedSandbox } from '../../src/sandbox/seed.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { endAccountSessions } from '../../src/oidc/grants.ts';

let testDb: TestDatabase;
let database: Database;
let services: AccountServices;
const citizen = SANDBOX_CITIZENS[1]!;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase(testDb.location);
  await migrate(database);
  const config = loadConfig({ LOCKOUT_MAX_FAILURES: '3', ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' });
  services = accountServices(database.db, config, { secret: 'test', now: () => new Date(), endSessions: endAccountSessions });
  await seedSandbox(database.db, relyingPartiesQueries(database.db), services.passwords, { ...config.sandbox, issuer: config.issuer });
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

it('checks at most the allowed number of guesses however many arrive at once, then refuses even the right password', async () => {
  const guesses = Array.from({ length: 30 }, (_, i) => authenticate(services.authentication, { personalId: citizen.personalId, password: `wrong-${i}` }));
  const outcomes = await Promise.all(guesses);
  const reasons = outcomes.map((o) => (o.ok ? 'ok' : o.reason));
  // Two failures answer "wrong password"; the third locks; all others are refused without a check.
  expect(reasons.filter((r) => r === 'invalid_credentials')).toHaveLength(2);
  expect(reasons.filter((r) => r === 'throttled')).toHaveLength(28);
  expect((await authenticate(services.authentication, { personalId: citizen.personalId, password: SANDBOX_PASSWORD })).ok).toBe(false);
  expect(await services.accounts.findByPersonalId(citizen.personalId)).toMatchObject({ status: 'locked', lockReason: 'failed_sign_ins' });
});
