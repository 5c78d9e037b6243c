// The development sandbox in a database: what of it is there, and taking it out. Production refuses to start
// while any of it remains (officers and a client with published passwords, synthetic citizens).
import { announceClientChange } from '../clients/changes.ts';
import type { Kysely, Transaction } from 'kysely';
import { recordAudit } from '../audit/audit.ts';
import type { Schema } from '../db/schema.ts';

export interface SandboxPresence {
  officers: number;
  relyingParties: number;
  citizens: number;
}

export async function sandboxPresence(db: Kysely<Schema>): Promise<SandboxPresence> {
  const rows = await db.selectFrom('sandbox_seed').select(['kind', (eb) => eb.fn.countAll<number>().as('count')]).groupBy('kind').execute();
  const count = (kind: string) => Number(rows.find((r) => r.kind === kind)?.count ?? 0);
  return { officers: count('officer'), relyingParties: count('relying_party'), citizens: count('citizen') };
}

export const isEmpty = (p: SandboxPresence) => p.officers + p.relyingParties + p.citizens === 0;

export function describePresence(p: SandboxPresence): string {
  return [
    p.officers ? `${p.officers} sandbox officer(s) with the published password` : '',
    p.relyingParties ? 'the sandbox client with its published secret' : '',
    p.citizens ? `${p.citizens} synthetic citizen(s)` : '',
  ].filter(Boolean).join(', ');
}

export interface SandboxRemoval {
  accounts: number;
  applications: number;
  officers: number;
  relyingParties: number;
  citizens: number;
}

/**
 * Takes everything the sandbox seeded out, in one transaction: its client and that client's tokens, its officers
 * with what they filed and decided (test applications and the accounts they issued), the synthetic citizens with
 * their accounts, sessions and tokens. Audited.
 */
export async function removeSandbox(
  db: Kysely<Schema>,
  endSessions: (trx: Transaction<Schema>, accountId: string) => Promise<unknown>,
): Promise<SandboxRemoval> {
  return db.transaction().execute(async (trx) => {
    // Everything is found through the marks in sandbox_seed (subqueries: no list can be empty).
    const seeded = (kind: 'officer' | 'relying_party' | 'citizen') => trx.selectFrom('sandbox_seed').select('key').where('kind', '=', kind);
    const sandboxOfficers = trx.selectFrom('officers').select('id').where('username', 'in', seeded('officer'));
    const officerIds = (await sandboxOfficers.execute()).map((r) => r.id);
    const clientIds = (await seeded('relying_party').execute()).map((r) => r.key);
    const applicationIds = (
      await trx
        .selectFrom('account_applications')
        .select('id')
        .where((w) => w.or([w('personal_id', 'in', seeded('citizen')), w('filed_by', 'in', sandboxOfficers), w('decided_by', 'in', sandboxOfficers)]))
        .execute()
    ).map((r) => r.id);
    const accounts = await trx
      .selectFrom('accounts')
      .select(['id', 'personal_id'])
      .where((w) => w.or([w('personal_id', 'in', seeded('citizen')), ...(applicationIds.length ? [w('application_id', 'in', applicationIds)] : [])]))
      .execute();
    for (const account of accounts) await endSessions(trx, account.id);
    if (accounts.length) {
      await trx.deleteFrom('sign_in_failures').where('personal_id', 'in', accounts.map((a) => a.personal_id)).execute();
      await trx.deleteFrom('account_dependents').where('guardian_account_id', 'in', accounts.map((a) => a.id)).execute();
      await trx.deleteFrom('accounts').where('id', 'in', accounts.map((a) => a.id)).execute();
    }
    if (applicationIds.length) await trx.deleteFrom('account_applications').where('id', 'in', applicationIds).execute();
    if (officerIds.length) await trx.deleteFrom('officers').where('id', 'in', officerIds).execute();
    await trx.deleteFrom('officer_sign_in_failures').where('username', 'in', seeded('officer')).execute();
    for (const clientId of clientIds) {
      await trx.deleteFrom('oidc_payloads').where((eb) => eb(eb.fn('jsonb_extract_path_text', ['payload', eb.val('clientId')]), '=', clientId)).execute();
      await trx.deleteFrom('relying_parties').where('client_id', '=', clientId).execute();
      await announceClientChange(trx, clientId);
    }
    await trx.deleteFrom('account_dependents').where('dependent_personal_id', 'in', seeded('citizen')).execute();
    const citizens = Number((await trx.deleteFrom('citizens').where('personal_id', 'in', seeded('citizen')).executeTakeFirst()).numDeletedRows);
    await trx.deleteFrom('sandbox_seed').execute();
    const removed = { accounts: accounts.length, applications: applicationIds.length, officers: officerIds.length, relyingParties: clientIds.length, citizens };
    await recordAudit(trx, { actor: { type: 'system' }, action: 'sandbox.removed', detail: { ...removed } });
    return removed;
  });
}
