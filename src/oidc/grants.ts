// Grants a citizen gave relying parties (the provider's Grant artifacts), listed and revoked for self-service.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';

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

/**
 * Ends everything the provider holds for an account: browser sessions, grants, codes, access and refresh tokens
 * (each carries the account in its payload). Interactions in progress carry it only nested, so a sign-in or reset
 * under way is not cut off. Returns how many artifacts went.
 */
export async function endAccountSessions(db: Kysely<Schema> | Transaction<Schema>, accountId: string): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where(sql<string>`payload->>'accountId'`, '=', accountId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
