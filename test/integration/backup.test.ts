// Backups of the embedded database: `cli backup FILE` and `cli restore FILE`, as an operator runs them.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.ts';
import { SANDBOX_CITIZENS, SANDBOX_PASSWORD } from '../../src/sandbox/seed.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { cli, embeddedEnv } from '../helpers/process.ts';
import { SANDBOX_SECRET, startProvider } from '../helpers/provider.ts';
import { authorizationRequest, redeem, relyingParty } from '../helpers/relying-party.ts';
import { signInThroughPages, UserAgent } from '../helpers/user-agent.ts';

const citizen = SANDBOX_CITIZENS[0]!;
// Processes that create, dump and load whole databases: minutes on a busy machine, not a hang.
const SLOW = 480_000;

let dataDir: string;
let env: Record<string, string>;
let embedded: TestDatabase;
let backupFile: string;

/** What the round trip must bring back: a changed password and deleted vehicle records. */
async function snapshot() {
  const database = await openDatabase(embedded.location);
  try {
    const account = await database.db.selectFrom('accounts').select('password_hash').where('personal_id', '=', citizen.personalId).executeTakeFirstOrThrow();
    const vehicles = await sql<{ n: number }>`SELECT count(*)::int AS n FROM vehicle_registrations`.execute(database.db);
    return { passwordHash: account.password_hash, vehicles: vehicles.rows[0]!.n };
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'dinhdanh-backup-'));
  env = embeddedEnv(dataDir);
  embedded = { location: { engine: 'pglite', dataDir: join(dataDir, 'pglite') }, drop: async () => {} };
  // The sandbox (accounts, synthetic population with vehicles) is the data to keep.
  await (await startProvider(embedded)).close();
  backupFile = join(dataDir, 'before.tar.gz');
  const backup = cli(env, 'backup', backupFile);
  expect(backup.status, backup.stderr).toBe(0);
  expect(backup.stdout).toContain(`to ${backupFile}`);
}, SLOW);
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('backup and restore of the embedded database', () => {
  it('writes the backup for its owner alone: it holds personal data and the signing keys', () => {
    expect((statSync(backupFile).mode & 0o777).toString(8)).toBe('600');
  });

  it('brings back changed and deleted data, keeps what it replaced, and the provider signs in on it', async () => {
    const before = await snapshot();
    expect(before.vehicles).toBeGreaterThan(0);
    const database = await openDatabase(embedded.location);
    await database.db.updateTable('accounts').set({ password_hash: '$argon2id$changed-after-the-backup' }).where('personal_id', '=', citizen.personalId).execute();
    await database.db.deleteFrom('vehicle_registrations').execute();
    await database.close();

    const restored = cli(env, 'restore', backupFile);
    expect(restored.status, restored.stderr).toBe(0);
    expect(await snapshot()).toEqual(before);
    // Nothing was deleted: the replaced database is where the output says, with the changes made after the backup.
    const aside = /moved to (\S+);/.exec(restored.stdout)?.[1];
    expect(aside, restored.stdout).toBeDefined();
    const replaced = await openDatabase({ engine: 'pglite', dataDir: aside! });
    const vehicles = await sql<{ n: number }>`SELECT count(*)::int AS n FROM vehicle_registrations`.execute(replaced.db);
    await replaced.close();
    expect(vehicles.rows[0]!.n).toBe(0);

    const provider = await startProvider(embedded);
    try {
      const rp = await relyingParty(provider.url, 'sandbox', SANDBOX_SECRET);
      const request = await authorizationRequest(rp);
      const tokens = await redeem(rp, request, await signInThroughPages(new UserAgent(), request.url.href, { username: citizen.personalId, password: SANDBOX_PASSWORD }));
      expect(tokens.claims()?.sub).toBeTruthy();
    } finally {
      await provider.close();
    }
  }, SLOW);

  it('refuses to back up or restore while a provider holds the database, naming it', async () => {
    const provider = await startProvider(embedded);
    try {
      const attempt = join(dataDir, 'while-running.tar.gz');
      for (const result of [cli(env, 'backup', attempt), cli(env, 'restore', backupFile)]) {
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(`in use by process ${process.pid}`);
        expect(result.stderr).toContain('Stop that process first');
        expect(result.stderr).not.toContain('    at ');
      }
      expect(existsSync(attempt)).toBe(false);
    } finally {
      await provider.close();
    }
  }, SLOW);

  it('explains a missing, damaged or foreign backup file and an existing target, changing nothing', () => {
    const entries = readdirSync(dataDir).sort();
    const truncated = join(dataDir, 'truncated.tar.gz');
    const bytes = readFileSync(backupFile);
    writeFileSync(truncated, bytes.subarray(0, bytes.length / 2));
    const garbage = join(dataDir, 'garbage.tar.gz');
    writeFileSync(garbage, 'not a backup\n');
    const cases: Array<[string[], string]> = [
      [['restore', join(dataDir, 'missing.tar.gz')], 'cannot read the backup file'],
      [['restore', truncated], 'is not a backup of the embedded database'],
      [['restore', garbage], 'is not a backup of the embedded database'],
      [['backup', backupFile], 'already exists'],
    ];
    for (const [args, message] of cases) {
      const result = cli(env, ...args);
      expect(result.status, args.join(' ')).toBe(1);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain('    at ');
    }
    expect(readdirSync(dataDir).sort()).toEqual([...entries, 'garbage.tar.gz', 'truncated.tar.gz'].sort());

    const onPostgres = cli({ ...env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, 'backup', join(dataDir, 'pg.tar.gz'));
    expect(onPostgres.status).toBe(1);
    expect(onPostgres.stderr).toContain('pg_dump -Fc');
  }, SLOW);
});
