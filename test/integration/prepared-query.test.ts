// Queries the adapter builds once and runs with each call's values (src/db/prepared.ts): every run answers as the
// built query would with those values, and is timed on /metrics like any other query.
import { sql, type Kysely, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrator.ts';
import { prepare } from '../../src/db/prepared.ts';
import type { Schema } from '../../src/db/schema.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let testDb: TestDatabase;
let database: Database;
const seen: string[] = [];
let db: Kysely<Schema>;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase(testDb.location);
  await migrate(database);
  // A plugin as the query timing is: it must see each run, not only the one that built the query.
  const watcher: KyselyPlugin = { transformQuery: ({ node }) => (seen.push(node.kind), node), transformResult: async ({ result }) => result };
  db = database.db.withPlugin(watcher);
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

describe('a prepared query', () => {
  it('writes and reads each call\'s values, a slot used twice included, and keeps the values it was built with', async () => {
    const store = prepare(db, ['id', 'payload', 'expiresAt'], (slot) => db
      .insertInto('oidc_payloads')
      .values({ model: 'Session', id: slot.id, payload: slot.payload, uid: slot.id, expires_at: sql<Date | null>`${slot.expiresAt}` })
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet((eb) => ({ payload: eb.ref('excluded.payload'), expires_at: eb.ref('excluded.expires_at') }))));
    const byUid = prepare(db, ['uid'], (slot) => db.selectFrom('oidc_payloads').select(['id', sql<string>`payload::text`.as('payload'), 'expires_at']).where('model', '=', 'Session').where('uid', '=', slot.uid));
    const expires = new Date('2030-01-02T03:04:05Z');
    await store({ id: 'phien-1', payload: JSON.stringify({ n: 1 }), expiresAt: expires });
    await store({ id: 'phien-2', payload: JSON.stringify({ n: 2 }), expiresAt: null });
    await store({ id: 'phien-1', payload: JSON.stringify({ n: 3, ten: 'Nguyễn' }), expiresAt: null });
    expect(await byUid({ uid: 'phien-1' })).toEqual([{ id: 'phien-1', payload: '{"n": 3, "ten": "Nguyễn"}', expires_at: null }]);
    expect((await byUid({ uid: 'phien-2' }))[0]).toMatchObject({ id: 'phien-2', expires_at: null });
    expect(await byUid({ uid: 'phien-3' })).toEqual([]);
    // The model 'Session' was a value of the build: another model's rows are not read.
    await db.insertInto('oidc_payloads').values({ model: 'Interaction', id: 'x', uid: 'phien-4', payload: '{}' }).execute();
    expect(await byUid({ uid: 'phien-4' })).toEqual([]);
    // A value that looks like the builder's stand-ins is just a value.
    await store({ id: '\u{E000}id\u{E000}', payload: '{}', expiresAt: expires });
    expect((await byUid({ uid: '\u{E000}id\u{E000}' }))[0]).toMatchObject({ id: '\u{E000}id\u{E000}', expires_at: expires });
  });

  it('shows every run to the plugins', async () => {
    const count = prepare(db, ['model'], (slot) => db.selectFrom('oidc_payloads').select((eb) => eb.fn.countAll<string>().as('n')).where('model', '=', slot.model));
    const before = seen.length;
    await count({ model: 'Session' });
    await count({ model: 'Grant' });
    expect(seen.slice(before)).toEqual(['SelectQueryNode', 'SelectQueryNode']);
  });

  it('refuses a slot the query never uses, at build time', () => {
    expect(() => prepare(db, ['id', 'forgotten'], (slot) => db.selectFrom('oidc_payloads').select('id').where('id', '=', slot.id))).toThrow(/no parameter for forgotten/);
  });
});
