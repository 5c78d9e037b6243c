// The provider keeps approved clients in memory and reads one again only after a change notice for it
// (src/clients/changes.ts): shown by a row changed behind its back with no notice, then announced.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { announceClientChange } from '../../src/clients/changes.ts';
import { changeClientState } from '../../src/clients/lifecycle.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startProvider, type RunningProvider } from '../helpers/provider.ts';

let testDb: TestDatabase;
let provider: RunningProvider;

beforeAll(async () => {
  testDb = await createTestDatabase();
  provider = await startProvider(testDb);
  await provider.addClient({ client_id: 'nho', client_name: 'Trước', client_secret: 'nho-secret-nho-secret', redirect_uris: ['https://rp.example/cb'] });
});
afterAll(async () => {
  await provider?.close();
  await testDb?.drop();
});

const nameOf = async () => (await provider.relyingParties.find('nho'))?.client_name;
// What the protocol engine serves: it reuses the Client it built while the registry keeps the same metadata.
const servedName = async () => (await provider.provider.Client.find('nho'))?.metadata().client_name;

/** Notices arrive on their own connection: asked until they have (a guard against a hang, not a measure). */
async function eventually(read: () => Promise<unknown>, expected: unknown) {
  const deadline = Date.now() + 10_000;
  while ((await read()) !== expected) {
    if (Date.now() > deadline) throw new Error(`still ${String(await read())}, expected ${String(expected)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const quietRename = (name: string) =>
  // What no code path does: a change with no notice. An instance serving from memory does not see it.
  sql`UPDATE relying_parties SET metadata = jsonb_set(metadata, '{client_name}', to_jsonb(${name}::text)) WHERE client_id = 'nho'`.execute(provider.database.db);

it('serves a client from memory until a change to it is announced', async () => {
  expect(await nameOf()).toBe('Trước');
  // The registration's own notice may still be on its way (PostgreSQL): rename quietly until a read comes from memory.
  let round = 0;
  let previous: unknown;
  let served: unknown;
  do {
    round++;
    previous = await nameOf();
    await quietRename(`Tên ${round}`);
    served = await nameOf();
  } while (served !== previous && round < 50);
  expect(served).toBe(previous);
  for (let i = 0; i < 3; i++) expect(await servedName()).toBe(previous);
  await announceClientChange(provider.database.db, 'nho');
  await eventually(nameOf, `Tên ${round}`);
  expect(await servedName()).toBe(`Tên ${round}`);
});

it('refuses a client suspended through the registry on its next lookup', async () => {
  expect(await nameOf()).toMatch(/^Tên \d+$/);
  const suspended = await changeClientState(provider.database.db, 'nho', 'suspend', { type: 'system' }, 'thử');
  expect(suspended.ok).toBe(true);
  await eventually(nameOf, undefined);
  expect(await servedName()).toBeUndefined();
});
