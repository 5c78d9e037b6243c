// Backup and restore of the embedded (PGlite) database: a backup is PGlite's own dump of the data directory (a
// gzipped tarball). Both hold the directory's lock, so neither runs while a provider or an import has it open.
// A restore never deletes: the directory it replaces is moved aside, and the operator removes it when satisfied.
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from './data-dir-lock.ts';

/** A problem the operator can fix (a missing or damaged file, no database to back up). */
export class BackupError extends Error {
  override name = 'BackupError';
}

export interface BackupResult {
  bytes: number;
  migrations: number;
}

export interface RestoreResult {
  migrations: number;
  /** Where the replaced database now is; absent when there was none. */
  movedAside: string | undefined;
}

export async function backupEmbedded(dataDir: string, file: string): Promise<BackupResult> {
  if (existsSync(file)) throw new BackupError(`${file} already exists: a backup never overwrites a file, give a new name`);
  if (!existsSync(dirname(file))) throw new BackupError(`cannot write ${file}: its directory ${dirname(file)} does not exist`);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) throw new BackupError(`there is no embedded database in ${dataDir} to back up`);
  const lock = lockDataDir(dataDir);
  try {
    const pglite = await PGlite.create(dataDir);
    try {
      const migrations = await migrationCount(pglite).catch(() => 0);
      // Written beside the target first: a backup cut short never looks like a finished one.
      const dump = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
      const partial = join(dirname(file), `.${basename(file)}.partial`);
      try {
        // EEXIST: another backup's file, left alone. Owner-only: it holds personal data and the signing keys.
        writeFileSync(partial, dump, { flag: 'wx', mode: 0o600 });
        try {
          linkSync(partial, file); // unlike a rename, never replaces a file that appeared meanwhile
        } finally {
          unlinkSync(partial);
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new BackupError(`cannot write ${file} (${code === 'EEXIST' ? 'it, or its partial file, exists' : (code ?? (error as Error).message)})`);
      }
      return { bytes: dump.length, migrations };
    } finally {
      await pglite.close();
    }
  } finally {
    lock.release();
  }
}

export async function restoreEmbedded(dataDir: string, file: string, now = new Date()): Promise<RestoreResult> {
  let dump: Buffer;
  try {
    dump = readFileSync(file);
  } catch {
    throw new BackupError(`cannot read the backup file ${file}`);
  }
  const lock = lockDataDir(dataDir);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  // Loaded into a directory of its own and checked there; only a good backup replaces the database.
  const staging = `${dataDir}.restoring-${stamp}`;
  try {
    mkdirSync(staging, { recursive: true });
    const migrations = await loadInto(staging, dump, file);
    const movedAside = existsSync(dataDir) ? `${dataDir}.before-restore-${stamp}` : undefined;
    if (movedAside) renameSync(dataDir, movedAside);
    try {
      renameSync(staging, dataDir);
    } catch (error) {
      if (movedAside) renameSync(movedAside, dataDir);
      throw error;
    }
    return { migrations, movedAside };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    lock.release();
  }
}

async function loadInto(dir: string, dump: Buffer, file: string): Promise<number> {
  let pglite: PGlite | undefined;
  try {
    pglite = await PGlite.create(dir, { loadDataDir: new Blob([new Uint8Array(dump)]) });
  } catch {
    throw new BackupError(`${file} is not a backup of the embedded database (it could not be loaded); nothing was changed`);
  }
  try {
    return await migrationCount(pglite).catch(() => {
      throw new BackupError(`${file} holds a database, but not this provider's (no migrations table); nothing was changed`);
    });
  } finally {
    await pglite.close();
  }
}

async function migrationCount(pglite: PGlite): Promise<number> {
  const result = await pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
  return result.rows[0]!.n;
}
