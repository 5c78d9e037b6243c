// `npm run cli -- keys …`: the signing keys' lifecycle from a shell. A rotation publishes the next key at once
// (every instance serves it in /jwks within KEY_RELOAD_SECONDS), lets it sign after KEY_ACTIVATION_DELAY_SECONDS,
// and withdraws the replaced key once every token it signed has expired.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { SIGNING_ALGS, type SigningAlg } from './key-lifecycle.ts';

export const KEYS_USAGE = `  keys list [--json]
             every signing key with its state (next, active, retiring, withdrawn) and its dates
  keys rotate [--alg RS256|ES256|PS256|all] [--json]
             publish the next key (all algorithms unless --alg); it signs after KEY_ACTIVATION_DELAY_SECONDS
             and the key it replaces leaves /jwks once the longest token lifetime has passed
`;

/** Bad arguments: the CLI prints the message and the usage and exits 2. */
export class KeysUsageError extends Error {}

type Io = { out: (line: string) => void; err: (line: string) => void };

const at = (date: Date | null | undefined) => (date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

export async function runKeys(argv: string[], io: Io, now: () => Date = () => new Date()): Promise<number> {
  const [sub, ...rest] = argv;
  let values: { json?: boolean; alg?: string };
  try {
    const parsed = parseArgs({ args: rest, options: { json: { type: 'boolean' }, alg: { type: 'string' } }, allowPositionals: false, strict: true });
    values = parsed.values;
  } catch (error) {
    throw new KeysUsageError((error as Error).message);
  }
  if (sub !== 'list' && sub !== 'rotate') throw new KeysUsageError(`unknown keys command: ${sub ?? '(none)'}`);
  if (sub === 'list' && values.alg !== undefined) throw new KeysUsageError('keys list: --alg is for rotate');
  const alg = values.alg ?? 'all';
  if (alg !== 'all' && !SIGNING_ALGS.includes(alg as SigningAlg)) throw new KeysUsageError(`--alg must be one of ${SIGNING_ALGS.join(', ')} or all`);
  const algs: SigningAlg[] = alg === 'all' ? [...SIGNING_ALGS] : [alg as SigningAlg];

  const config = loadConfig(process.env, { serving: false });
  const { databaseLocation } = await import('../db/database.ts');
  const { withMigratedDatabase } = await import('../db/migrator.ts');
  return withMigratedDatabase(databaseLocation(config), async (database) => {
    const { listSigningKeys, rotateSigningKeys } = await import('./key-rotation.ts');
    if (sub === 'list') {
      const keys = await listSigningKeys(database.db, now());
      if (values.json) io.out(JSON.stringify(keys, null, 2));
      else {
        io.out(['state', 'alg', 'kid', 'published', 'signs from', 'signs until', 'withdrawn'].join('\t'));
        for (const key of keys) io.out([key.state, key.alg, key.kid, at(key.createdAt), at(key.activatesAt), at(key.deactivatedAt), at(key.retiredAt)].join('\t'));
      }
      return 0;
    }
    const result = await rotateSigningKeys(database.db, { algs, now: now(), activationDelaySeconds: config.keys.activationDelaySeconds });
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else {
      for (const plan of result.rotated) {
        io.out(`${plan.alg}: published ${plan.next}; it signs from ${at(plan.activatesAt)}`);
        if (plan.previous) io.out(`  ${plan.previous} signs until then and stays in /jwks until ${at(plan.withdrawnAt)}`);
      }
    }
    for (const refusal of result.refused) {
      io.err(`${refusal.alg}: not rotated: its next key ${refusal.pending} is already published and signs from ${at(refusal.activatesAt)}; rotate again after that`);
    }
    return result.refused.length ? 1 : 0;
  });
}
