// `npm run cli -- officers …`: the operator manages desk officers without SQL. Every change is audited
// (actor: system "cli"). Passwords are printed once, here, and never logged.
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { loadConfig } from '../config.ts';
import type { Kysely } from 'kysely';
import type { OfficerRole, Schema } from '../db/schema.ts';
import { createOfficer, disableOfficer, enableOfficer, listOfficers, resetOfficerPassword, resetSecondFactor, unlockOfficer, USERNAME } from './officers.ts';

export const OFFICERS_USAGE = `  officers add USERNAME --name "FULL NAME" --role officer|supervisor|operator --unit "UNIT" [--password-stdin]
             add a desk officer (or an operator, who runs the client registry and nothing else); prints a generated initial password once (or reads one line from stdin);
             the officer enrols an authenticator app (TOTP) at the first sign-in
  officers list
             every officer: role, unit, disabled, second factor enrolled, locked until
  officers disable USERNAME
             the officer can no longer sign in; every session ends at once
  officers enable USERNAME
             a disabled officer may sign in again (same password and authenticator)
  officers unlock USERNAME
             lift a lock left by failed sign-ins
  officers reset-password USERNAME [--password-stdin]
             a forgotten password: prints a generated one once (or reads one line from stdin); every session
             ends and the lock from failed sign-ins is lifted
  officers reset-2fa USERNAME
             forget the officer's authenticator (lost phone): sessions end, the next sign-in enrols anew
`;

/** Bad arguments: the CLI prints the message and the usage and exits 2. */
export class OfficerUsageError extends Error {}

const CLI_ACTOR = { type: 'system', id: 'cli' } as const;
/** Generated initial passwords: 120 random bits, typable. */
const generatedPassword = () => randomBytes(15).toString('base64url');
const MIN_OFFICER_PASSWORD = 12;
const MAX_OFFICER_PASSWORD = 1024;

export async function runOfficers(argv: string[], io: { stdin: NodeJS.ReadableStream; out: (line: string) => void; err: (line: string) => void }): Promise<number> {
  const [sub, ...rest] = argv;
  const parsed = parse(sub, rest);
  const { databaseLocation, openDatabase } = await import('../db/database.ts');
  const config = loadConfig(process.env, { serving: false });
  // Read the password before opening the database: a pipe that never ends should not hold it.
  const setsPassword = sub === 'add' || sub === 'reset-password';
  const password = setsPassword ? (parsed.values['password-stdin'] ? await passwordFromStdin(sub!, io.stdin) : generatedPassword()) : undefined;
  const database = await openDatabase(databaseLocation(config));
  try {
    const db = database.db;
    const now = new Date();
    const username = parsed.positionals[0]?.toLowerCase() ?? '';
    switch (sub) {
      case 'add':
        return await add(db, config, username, parsed.values, password!, io);
      case 'list':
        for (const line of describe(await listOfficers(db, now))) io.out(line);
        return 0;
      case 'disable': {
        const result = await disableOfficer(db, username, { actor: CLI_ACTOR, now });
        if (result === 'unknown') return unknown(username, io);
        io.out(result === 'already' ? `officer ${username} was already disabled; no session is open` : `officer ${username} disabled; every session ended`);
        return 0;
      }
      case 'enable': {
        const result = await enableOfficer(db, username, { actor: CLI_ACTOR, now });
        if (result === 'unknown') return unknown(username, io);
        io.out(result === 'already' ? `officer ${username} was not disabled` : `officer ${username} enabled: may sign in again`);
        return 0;
      }
      case 'reset-password': {
        const { passwordHasher } = await import('../accounts/passwords.ts');
        const result = await resetOfficerPassword(db, passwordHasher(config.argon2), username, password!, { actor: CLI_ACTOR, now });
        if (result === 'unknown') return unknown(username, io);
        io.out(`officer ${username}: password replaced, every session ended, sign-in lock lifted`);
        if (!parsed.values['password-stdin']) io.out(`new password (shown once; hand it over in person): ${password}`);
        return 0;
      }
      case 'unlock': {
        const result = await unlockOfficer(db, username, { actor: CLI_ACTOR, now });
        if (result === 'unknown') return unknown(username, io);
        io.out(result === 'unlocked' ? `officer ${username} unlocked` : `officer ${username} was not locked`);
        return 0;
      }
      case 'reset-2fa': {
        const result = await resetSecondFactor(db, username, { actor: CLI_ACTOR, now });
        if (result === 'unknown') return unknown(username, io);
        io.out(`officer ${username}: second factor forgotten, sessions ended; the next sign-in enrols a new authenticator`);
        return 0;
      }
    }
    throw new OfficerUsageError(`unknown officers command: ${sub}`);
  } finally {
    await database.close();
  }
}

function parse(sub: string | undefined, rest: string[]) {
  const spec: ParseArgsOptionsConfig = sub === 'add'
    ? { name: { type: 'string' }, role: { type: 'string' }, unit: { type: 'string' }, 'password-stdin': { type: 'boolean' } }
    : sub === 'reset-password' ? { 'password-stdin': { type: 'boolean' } } : {};
  const positionals = sub === 'list' ? 0 : 1;
  const commands = ['add', 'list', 'disable', 'enable', 'unlock', 'reset-password', 'reset-2fa'];
  if (!sub || !commands.includes(sub)) throw new OfficerUsageError(`expected officers ${commands.join('|')}, got ${sub ?? 'nothing'}`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: spec, allowPositionals: true, strict: true });
  } catch (error) {
    throw new OfficerUsageError((error as Error).message);
  }
  if (parsed.positionals.length !== positionals) throw new OfficerUsageError(`${sub}: expected ${positionals} argument(s), got ${parsed.positionals.length}`);
  const username = parsed.positionals[0];
  if (username !== undefined && !USERNAME.test(username.toLowerCase())) {
    throw new OfficerUsageError(`${sub}: a username is 3 to 64 of a-z 0-9 . _ -`);
  }
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

async function add(db: Kysely<Schema>, config: ReturnType<typeof loadConfig>, username: string, values: Record<string, string | boolean | undefined>, password: string, io: { out: (line: string) => void; err: (line: string) => void }) {
  const fullName = typeof values.name === 'string' ? values.name.trim() : '';
  const policeUnit = typeof values.unit === 'string' ? values.unit.trim() : '';
  const role = values.role;
  if (!fullName) throw new OfficerUsageError('add: --name is required');
  if (!policeUnit) throw new OfficerUsageError('add: --unit is required');
  if (role !== 'officer' && role !== 'supervisor' && role !== 'operator') throw new OfficerUsageError('add: --role must be officer, supervisor or operator');
  const exists = await db.selectFrom('officers').select('id').where('username', '=', username).executeTakeFirst();
  if (exists) {
    io.err(`add: an officer named ${username} already exists`);
    return 1;
  }
  const { passwordHasher } = await import('../accounts/passwords.ts');
  await createOfficer(db, passwordHasher(config.argon2), { username, fullName, role: role as OfficerRole, policeUnit, password }, { actor: CLI_ACTOR, at: new Date() });
  io.out(`officer ${username} added (${role}, ${policeUnit})`);
  if (!values['password-stdin']) io.out(`initial password (shown once; hand it over in person): ${password}`);
  io.out('at the first sign-in the officer enrols an authenticator app (TOTP); no session opens without it');
  return 0;
}

async function passwordFromStdin(sub: string, stdin: NodeJS.ReadableStream): Promise<string> {
  const password = (await text(stdin)).split(/\r?\n/)[0] ?? '';
  if (password.length < MIN_OFFICER_PASSWORD || password.length > MAX_OFFICER_PASSWORD) {
    throw new OfficerUsageError(`${sub}: the password read from stdin must be ${MIN_OFFICER_PASSWORD} to ${MAX_OFFICER_PASSWORD} characters`);
  }
  return password;
}

function unknown(username: string, io: { err: (line: string) => void }): number {
  io.err(`no officer is named ${username}`);
  return 1;
}

function describe(officers: Awaited<ReturnType<typeof listOfficers>>): string[] {
  if (officers.length === 0) return ['no officers'];
  const rows = officers.map((o) => [
    o.username,
    o.role,
    o.policeUnit,
    o.disabled ? 'disabled' : 'active',
    o.secondFactor === 'enrolled' ? 'totp' : 'not enrolled',
    o.lockedUntil ? `locked until ${o.lockedUntil.toISOString()}` : '-',
  ]);
  const header = ['username', 'role', 'unit', 'state', '2fa', 'lock'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}
