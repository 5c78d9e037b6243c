// The disclosure log: every time claims about a citizen leave (an ID token, a userinfo answer, an
// introspection answer), which relying party got which claim names — never values — at which level, when.
import { decodeJwt } from 'jose';
import { sql, type Kysely, type Selectable } from 'kysely';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { groupedWrites } from '../db/grouped-writes.ts';
import { prepare } from '../db/prepared.ts';
import type { DisclosureChannel, Schema } from '../db/schema.ts';
import { CLAIM_SCOPE } from './claims.ts';

/** One record, every column given: which claim names went to which relying party, how, at which level, when. */
type Disclosure = Omit<Selectable<Schema['disclosures']>, 'id'>;

const CHANNEL: Record<string, DisclosureChannel> = { token: 'id_token', userinfo: 'userinfo', introspection: 'introspection' };

/** Identity claims only: protocol fields (iss, aud, exp, nonce, acr …) say nothing about the citizen. */
const identityClaims = (payload: Record<string, unknown>) =>
  Object.keys(payload).filter((claim) => claim === 'sub' || claim === 'verified_claims' || CLAIM_SCOPE.has(claim)).sort();

/**
 * Watches the provider's answers (a post-processing middleware, the provider's documented extension point)
 * and records what left. The answer is already complete when this runs: recording never changes it.
 */
export function recordDisclosures(provider: Provider, db: Kysely<Schema>, logger: Logger, now: () => Date) {
  // Answers given while a record is being written are recorded together, in one insert, when it is done: the same
  // statement for any number of rows (a JSON array of them), built once and kept by PostgreSQL as a named statement.
  // Built per batch, each answer paid Kysely's build of a multi-row insert, and each batch size was a new text.
  // The insert commits without waiting for the WAL to reach the disk (synchronous_commit off for its transaction
  // alone): a userinfo or introspection answer waited on the disk's flush, whose stalls were most of its slow
  // answers (docs/capacity.md, ninth look). Only a crash of PostgreSQL (or a failover) can lose records: its last 0.6 s.
  const insert = prepare(db, ['rows'], (slot) => {
    const statement = sql<never>`with no_flush_wait as (select set_config('synchronous_commit', 'off', true))
      insert into disclosures (account_id, client_id, channel, claims, acr, at)
      select account_id, client_id, channel, claims, acr, at
      from no_flush_wait, jsonb_to_recordset(${slot.rows}::jsonb) as r(account_id uuid, client_id text, channel text, claims text[], acr text, at timestamptz)`;
    return { compile: () => statement.compile(db) };
  });
  const record = groupedWrites<Disclosure>(async (rows) => void (await insert({ rows: JSON.stringify(rows) })));
  provider.use(async (ctx, next) => {
    await next();
    const channel = CHANNEL[ctx.oidc?.route ?? ''];
    if (!channel || ctx.status !== 200 || !ctx.body || typeof ctx.body !== 'object') return;
    const body = ctx.body as Record<string, unknown>;
    const accountId = ctx.oidc.entities.Grant?.accountId;
    const clientId = ctx.oidc.client?.clientId;
    if (!accountId || !clientId) return;
    let claims: string[];
    let acr: unknown;
    if (channel === 'id_token') {
      if (typeof body.id_token !== 'string') return;
      if (body.id_token.split('.').length === 5) {
        // Encrypted to the client: it cannot be read back. Record what it may carry: sub, and what the claims
        // parameter asked for in the ID token as far as the grant allows (oidc-provider's issueIdToken,
        // lib/helpers/grant_common.js, releases no more to an ID token that comes with an access token).
        const source = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken ?? ctx.oidc.entities.BackchannelAuthenticationRequest) as { claims?: { id_token?: Record<string, unknown> }; acr?: string } | undefined;
        const asked = ctx.oidc.entities.Grant!.getOIDCClaimsFiltered(new Set(Object.keys(source?.claims?.id_token ?? {})));
        claims = identityClaims(Object.fromEntries(['sub', ...asked].map((claim) => [claim, true])));
        acr = source?.acr;
      } else {
        const payload = decodeJwt(body.id_token);
        claims = identityClaims(payload);
        acr = payload.acr;
      }
    } else if (channel === 'userinfo') {
      claims = identityClaims(body);
      const token = ctx.oidc.entities.AccessToken as { extra?: { acr?: string } } | undefined;
      acr = token?.extra?.acr;
    } else {
      if (body.active !== true || !body.sub) return;
      claims = identityClaims(body);
      acr = body.acr;
    }
    try {
      await record({ account_id: accountId, client_id: clientId, channel, claims, acr: typeof acr === 'string' ? acr : null, at: now() });
    } catch (error) {
      logger.error({ err: error, client: clientId, channel }, 'disclosure not recorded');
    }
  });
}

export interface DisclosureSummary {
  clientId: string;
  claims: string[];
  lastAt: Date;
  lastAcr: string | null;
  count: number;
}

/** Per relying party: every claim it ever received about the citizen, and when it last did. */
export async function disclosuresFor(db: Kysely<Schema>, accountId: string): Promise<DisclosureSummary[]> {
  const rows = await db
    .selectFrom('disclosures')
    .select(['client_id', 'claims', 'acr', 'at'])
    .where('account_id', '=', accountId)
    .orderBy('at')
    .execute();
  const byClient = new Map<string, DisclosureSummary>();
  for (const row of rows) {
    const summary = byClient.get(row.client_id) ?? { clientId: row.client_id, claims: [], lastAt: row.at, lastAcr: row.acr, count: 0 };
    summary.claims = [...new Set([...summary.claims, ...row.claims])];
    summary.lastAt = row.at;
    summary.lastAcr = row.acr;
    summary.count++;
    byClient.set(row.client_id, summary);
  }
  return [...byClient.values()];
}
