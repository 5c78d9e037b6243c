// Account lookup by ID number on a full-size population: the query the sign-in page runs
// (accounts.findByPersonalId, the account joined to the citizen), timed one after another over random
// numbers, and the plan of every query a sign-in makes, to show none of them scans a table.
import { CompiledQuery, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { accountQueries } from '../src/accounts/accounts.ts';
import { authenticate } from '../src/accounts/authenticate.ts';
import { passwordHasher } from '../src/accounts/passwords.ts';
import { accountServices } from '../src/accounts/services.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { makePersonalId, PROVINCES } from '../src/registry/personal-id.ts';
import { endAccountSessions } from '../src/oidc/grants.ts';

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

export interface LookupBenchResult {
  citizens: number;
  accounts: number;
  lookups: number;
  found: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  plans: Array<{ query: string; plan: string[] }>;
}

/** Gives `percent` % of the citizens an account (deterministically, by a hash of the number). */
export async function createAccounts(url: string, percent: number): Promise<void> {
  const database = await openDatabase({ engine: 'postgres', url });
  // One real hash for all: nobody signs in successfully here, and hashing a million passwords takes hours.
  const hash = await passwordHasher(loadConfig({}).argon2).hash('bench-password-not-used');
  if (!/^\$argon2id\$[\w$=,+/]+$/.test(hash)) throw new Error('unexpected hash format');
  try {
    await database.session(async (s) => {
      await s.exec(`INSERT INTO accounts (personal_id, level, password_hash)
        SELECT personal_id, 1 + (abs(hashtext(personal_id)) % 2), '${hash}' FROM citizens
        WHERE abs(hashtext(personal_id)) % 100 < ${Math.round(percent)} ON CONFLICT (personal_id) DO NOTHING`);
      await s.exec('ANALYZE');
    });
  } finally {
    await database.close();
  }
}

export async function lookupBench(url: string, lookups = 10_000): Promise<LookupBenchResult> {
  const database = await openDatabase({ engine: 'postgres', url });
  try {
    const count = async (table: string) => Number((await database.session((s) => s.rows<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)))[0]!.n);
    const sample = (text: string) => database.session((s) => s.rows<{ personal_id: string }>(text)).then((rows) => rows.map((r) => r.personal_id));
    // 80 % numbers with an account, 10 % citizens without one, 10 % numbers nobody has (the generator's
    // serials start at 100000): a sign-in page sees all three.
    const withAccount = await sample(`SELECT personal_id FROM accounts ORDER BY md5(personal_id) LIMIT ${Math.round(lookups * 0.8)}`);
    const withoutAccount = await sample(
      `SELECT personal_id FROM citizens c WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.personal_id = c.personal_id) ORDER BY md5(personal_id) LIMIT ${Math.round(lookups * 0.1)}`,
    );
    const codes = [...PROVINCES.keys()];
    const unknown = Array.from({ length: lookups - withAccount.length - withoutAccount.length }, (_, i) => makePersonalId(codes[i % codes.length]!, i % 2 ? 'female' : 'male', 1940 + (i % 80), i % 100_000));
    const numbers = [...withAccount, ...withoutAccount, ...unknown].sort((a, b) => (hash(a) < hash(b) ? -1 : 1));

    const accounts = accountQueries(database.db);
    for (const id of numbers.slice(0, 500)) await accounts.findByPersonalId(id); // warm the pool and the cache
    const times: number[] = [];
    let found = 0;
    for (const id of numbers) {
      const started = performance.now();
      if (await accounts.findByPersonalId(id)) found += 1;
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return {
      citizens: await count('citizens'),
      accounts: await count('accounts'),
      lookups: numbers.length,
      found,
      p50: quantile(times, 0.5),
      p90: quantile(times, 0.9),
      p99: quantile(times, 0.99),
      max: times[times.length - 1]!,
      plans: await signInPlans(database, withAccount[0]!, unknown[0]!),
    };
  } finally {
    await database.close();
  }
}

const hash = (text: string) => {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
};

/** Runs two failed sign-ins (a known number, an unknown one) and EXPLAINs every query they made. */
async function signInPlans(database: Awaited<ReturnType<typeof openDatabase>>, known: string, unknown: string) {
  const nodes: RootOperationNode[] = [];
  const capture: KyselyPlugin = {
    transformQuery: ({ node }) => {
      nodes.push(node);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  const db = database.db.withPlugin(capture);
  const config = loadConfig({});
  const services = accountServices(db, { ...config, argon2: { ...config.argon2, memoryCost: 1024, timeCost: 1 } }, { secret: 'bench', now: () => new Date(), endSessions: endAccountSessions });
  for (const personalId of [known, unknown]) await authenticate(services.authentication, { personalId, password: 'not-the-password' });
  const seen = new Set<string>();
  const plans: Array<{ query: string; plan: string[] }> = [];
  for (const node of nodes) {
    const compiled = database.db.getExecutor().compileQuery(node, { queryId: 'plan' });
    if (seen.has(compiled.sql)) continue;
    seen.add(compiled.sql);
    const rows = await database.db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${compiled.sql}`, [...compiled.parameters]));
    plans.push({ query: compiled.sql, plan: rows.rows.map((r) => r['QUERY PLAN']) });
  }
  return plans;
}
