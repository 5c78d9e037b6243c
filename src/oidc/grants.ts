// Grants a citizen gave relying parties (the provider's Grant artifacts), listed and revoked for self-service.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AfterCommit } from '../accounts/lifecycle.ts';
import type { Schema } from '../db/schema.ts';

/** A grant saved after it was withdrawn (revoked, or the account's sessions ended) since the request read it. */
export class GrantWithdrawn extends Error {
  readonly grantId: string;
  constructor(grantId: string) {
    super('the grant was withdrawn while the request used it');
    this.grantId = grantId;
    this.name = 'GrantWithdrawn';
  }
}

export interface GrantSummary {
  grantId: string;
  clientId: string;
  scopes: string[];
  expiresAt: Date | null;
}

export async function grantsOf(db: Kysely<Schema>, accountId: string): Promise<GrantSummary[]> {
  const rows = await db
    .selectFrom('oidc_payloads')
    .select(['id', 'payload', 'expires_at'])
    .where('model', '=', 'Grant')
    .where(sql<string>`payload->>'accountId'`, '=', accountId)
    .execute();
  return rows
    .filter((row) => !row.expires_at || row.expires_at > new Date())
    .map((row) => {
      const payload = row.payload as { clientId: string; openid?: { scope?: string } };
      return { grantId: row.id, clientId: payload.clientId, scopes: (payload.openid?.scope ?? '').split(' ').filter(Boolean), expiresAt: row.expires_at };
    });
}

/**
 * Ends everything a relying party holds for this citizen: its grants and every code, token and refresh token
 * issued under them. Returns how many grants there were.
 */
export async function revokeClientGrants(db: Kysely<Schema>, accountId: string, clientId: string): Promise<number> {
  const grants = (await grantsOf(db, accountId)).filter((g) => g.clientId === clientId).map((g) => g.grantId);
  if (grants.length) await db.deleteFrom('oidc_payloads').where('grant_id', 'in', grants).execute();
  return grants.length;
}

/** A relying party that held something for an account, with the session ids (`sid`) it was given. */
export interface LogoutTarget {
  clientId: string;
  sids: string[];
}

/**
 * Which relying parties hold a live grant or a browser-session authorization for the account (only `clientId`'s,
 * when given), and under which session ids: whom to send a logout token once they are ended.
 */
export async function logoutTargets(db: Kysely<Schema> | Transaction<Schema>, accountId: string, clientId?: string): Promise<LogoutTarget[]> {
  const rows = await db
    .selectFrom('oidc_payloads')
    .select(['model', 'payload', 'expires_at'])
    .where('model', 'in', ['Grant', 'Session'])
    .where(sql<string>`payload->>'accountId'`, '=', accountId)
    .execute();
  const targets = new Map<string, Set<string>>();
  const add = (client: string, sid?: string) => {
    if (clientId !== undefined && client !== clientId) return;
    const sids = targets.get(client) ?? new Set<string>();
    if (sid) sids.add(sid);
    targets.set(client, sids);
  };
  for (const row of rows) {
    if (row.expires_at && row.expires_at <= new Date()) continue;
    if (row.model === 'Grant') {
      add((row.payload as { clientId: string }).clientId);
    } else {
      const authorizations = (row.payload as { authorizations?: Record<string, { sid?: string }> }).authorizations ?? {};
      for (const [client, { sid }] of Object.entries(authorizations)) add(client, sid);
    }
  }
  return [...targets].map(([client, sids]) => ({ clientId: client, sids: [...sids] }));
}

/**
 * Ends everything the provider holds for an account: browser sessions, grants, codes, access and refresh tokens
 * (each carries the account in its payload), and sign-ins that proved the password but were not resumed yet. Other
 * interactions in progress carry the account only nested, so a password reset under way is not cut off. Tells
 * nobody: what it returns, to run after commit, does nothing (the app uses oidc/backchannel-logout.ts, which tells the
 * relying parties; the CLI, benches and account tests use this).
 */
export async function endAccountSessions(db: Kysely<Schema> | Transaction<Schema>, accountId: string): Promise<AfterCommit> {
  // A request under way may still write back a session it read; one signed in before this moment no longer counts.
  await db.updateTable('accounts').set({ sessions_ended_at: new Date() }).where('id', '=', accountId).execute();
  await db.deleteFrom('oidc_payloads').where(sql<string>`payload->>'accountId'`, '=', accountId).execute();
  // A sign-in that proved the password but whose browser has not come back to the provider yet: its interaction
  // holds the finished login, which the browser's next step would turn into a session.
  await db.deleteFrom('oidc_payloads').where('model', '=', sql.lit('Interaction')).where(sql<string>`payload #>> '{result,login,accountId}'`, '=', accountId).execute();
  return () => {};
}
