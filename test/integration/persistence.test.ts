// Migrations and the provider's storage, on whichever engine the suite runs.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { readdir } from 'node:fs/promises';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrator.ts';
import { createAdapterFactory, purgeExpired } from '../../src/oidc/adapter.ts';
import { loadOrCreateKeys } from '../../src/oidc/keys.ts';
import { relyingPartiesQueries } from '../../src/oidc/relying-parties.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let testDb: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase(testDb.location);
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('migrations', () => {
  it('apply once and do nothing the second time', async () => {
    const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
    const first = await migrate(database);
    expect(first.applied).toEqual(files.map((f) => f.replace(/\.sql$/, '')));
    const second = await migrate(database);
    expect(second).toEqual({ applied: [], alreadyApplied: files.length });
  });

  it('enforce the domain in the tables: one account per citizen, valid levels and phone numbers', async () => {
    const db = database.db;
    await db.insertInto('citizens').values({ personal_id: '001190000111', family_name: 'Đỗ', given_name: 'Hà', birthdate: '1990-01-01', sex: 'female' }).execute();
    const account = { personal_id: '001190000111', level: 1 as const, password_hash: '$argon2id$v=19$m=19456,t=2,p=1$x$y' };
    await db.insertInto('accounts').values(account).execute();
    await expect(db.insertInto('accounts').values(account).execute()).rejects.toThrow(/unique|duplicate/i);
    await expect(db.insertInto('accounts').values({ ...account, personal_id: '001190000112' }).execute()).rejects.toThrow(/foreign key/i);
    await expect(db.insertInto('citizens').values({ personal_id: '12345', family_name: 'A', given_name: 'B', birthdate: '1990-01-01', sex: 'male' }).execute()).rejects.toThrow(/check/i);
    // The number must agree with the record's sex and year of birth, and name a known province.
    await expect(db.insertInto('citizens').values({ personal_id: '001090000113', family_name: 'A', given_name: 'B', birthdate: '1990-01-01', sex: 'female' }).execute()).rejects.toThrow(/citizens_personal_id_agrees/);
    await expect(db.insertInto('citizens').values({ personal_id: '001091000113', family_name: 'A', given_name: 'B', birthdate: '1990-01-01', sex: 'male' }).execute()).rejects.toThrow(/citizens_personal_id_agrees/);
    await expect(db.insertInto('citizens').values({ personal_id: '003090000113', family_name: 'A', given_name: 'B', birthdate: '1990-01-01', sex: 'male' }).execute()).rejects.toThrow(/foreign key/i);
    await db.deleteFrom('accounts').execute();
    await expect(db.insertInto('accounts').values({ ...account, level: 3 as 1 }).execute()).rejects.toThrow(/check/i);
    await expect(db.insertInto('accounts').values({ ...account, phone: '0912345678' }).execute()).rejects.toThrow(/check/i);
    await expect(db.insertInto('accounts').values({ ...account, password_hash: 'plaintext' }).execute()).rejects.toThrow(/check/i);
  });
});

describe('provider storage', () => {
  const adapterFor = () => createAdapterFactory(database.db, relyingPartiesQueries(database.db));

  it('lets exactly one of many concurrent redemptions consume a code, and revokes the grant for the rest', async () => {
    const codes = adapterFor()('AuthorizationCode');
    const tokens = adapterFor()('AccessToken');
    await codes.upsert('code-1', { grantId: 'grant-1', kind: 'AuthorizationCode' } as never, 60);
    await tokens.upsert('token-1', { grantId: 'grant-1', kind: 'AccessToken' } as never, 600);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => codes.consume('code-1')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(losers).toHaveLength(7);
    expect(losers[0]!.reason).toMatchObject({ error: 'invalid_grant' });
    expect(await tokens.find('token-1')).toBeUndefined();
  });

  it('finds sessions by uid, reports consumption, and revokes by grant', async () => {
    const sessions = adapterFor()('Session');
    await sessions.upsert('s-1', { uid: 'uid-1', accountId: 'a' } as never, 3600);
    expect(await sessions.findByUid('uid-1')).toMatchObject({ accountId: 'a' });
    const refresh = adapterFor()('RefreshToken');
    await refresh.upsert('r-1', { grantId: 'g-2' } as never, 3600);
    await refresh.consume('r-1');
    expect((await refresh.find('r-1'))?.consumed).toBeTypeOf('number');
    await refresh.revokeByGrantId('g-2');
    expect(await refresh.find('r-1')).toBeUndefined();
  });

  it('purges expired rows and keeps live ones', async () => {
    const sessions = adapterFor()('Interaction');
    await sessions.upsert('live', { x: 1 } as never, 3600);
    await database.db.insertInto('oidc_payloads').values({ model: 'Interaction', id: 'dead', payload: '{}', grant_id: null, uid: null, user_code: null, expires_at: new Date(Date.now() - 1000) }).execute();
    expect(await purgeExpired(database.db)).toBeGreaterThanOrEqual(1);
    expect(await sessions.find('live')).toMatchObject({ x: 1 });
    const dead = await database.db.selectFrom('oidc_payloads').select('id').where('id', '=', 'dead').executeTakeFirst();
    expect(dead).toBeUndefined();
  });

  it('generates keys once and returns the same keys afterwards, also under concurrent starts', async () => {
    const [a, b] = await Promise.all([loadOrCreateKeys(database.db), loadOrCreateKeys(database.db)]);
    expect(a).toEqual(b);
    expect(a.signing.map((k) => k.alg).sort()).toEqual(['ES256', 'PS256', 'RS256']);
    expect(a.signing.every((k) => typeof k.d === 'string' && k.kid)).toBe(true);
    expect(a.cookie).toHaveLength(1);
    expect(await loadOrCreateKeys(database.db)).toEqual(a);
    const { count } = (await sql<{ count: number }>`SELECT count(*)::int AS count FROM provider_keys`.execute(database.db)).rows[0]!;
    expect(count).toBe(5); // RS256, ES256, PS256, a cookie key and the pairwise salt
    expect(a.pairwiseSalt).toMatch(/^[\w-]{43}$/);
  });

  it('starts while a population import holds its lock on the same database (no shared lock number)', async () => {
    const { ADVISORY_LOCKS } = await import('../../src/db/locks.ts');
    // The import's lock is held on one connection while keys are loaded on another, as a provider starting
    // during `npm run cli -- import` would.
    await database.session(async (importer) => {
      await importer.exec(`SELECT pg_advisory_lock(${ADVISORY_LOCKS.import})`);
      try {
        const started = await Promise.race([
          loadOrCreateKeys(database.db).then(() => 'started'),
          new Promise((resolve) => setTimeout(() => resolve('hung'), 5_000)),
        ]);
        expect(started).toBe('started');
      } finally {
        await importer.exec(`SELECT pg_advisory_unlock(${ADVISORY_LOCKS.import})`);
      }
    });
  });
});
