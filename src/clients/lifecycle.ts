// What operators do to relying parties: register (pending), approve, suspend, reinstate, rotate the secret,
// change the approval. Each change and its audit entry are one transaction; a secret is returned once, never stored.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { auditTrail, recordAudit, type AuditEvent } from '../audit/audit.ts';
import type { ClientState, Schema } from '../db/schema.ts';
import { announceClientChange } from './changes.ts';
import { applyProfile, checkScopes, ProfileViolation, REGISTRY_PROFILES, type Metadata } from './profiles.ts';
import { clientRecord, composeMetadata, findClientRow, type ClientRecord } from './registry.ts';
import { generateClientSecret, hashClientSecret } from './secrets.ts';

export type Actor = AuditEvent['actor'];

/** A refusal in the caller's terms: an OAuth-style code, a description naming the field, the HTTP status. */
export interface RegistryRefusal {
  status: 400 | 404 | 409;
  error: string;
  description: string;
}
export type Outcome<T> = { ok: true; value: T } | { ok: false; refusal: RegistryRefusal };

const refuse = (status: RegistryRefusal['status'], error: string, description: string): { ok: false; refusal: RegistryRefusal } => ({ ok: false, refusal: { status, error, description } });
const notFound = (clientId: string) => refuse(404, 'unknown_client', `no relying party has client_id ${clientId}`);

/**
 * The provider's own check of a client's metadata (Client.validate); throws its invalid_client_metadata error, and
 * answers the metadata as the provider would serve it (only the fields it recognises).
 */
export type ValidateMetadata = (metadata: Record<string, unknown>) => Promise<Record<string, unknown> | void>;

/** Why a field the provider ignores does not take effect, for the refusal. */
const UNSUPPORTED: Record<string, string> = {
  tls_client_certificate_bound_access_tokens: 'access tokens are bound by DPoP here (dpop_bound_access_tokens), not to a TLS client certificate',
  userinfo_signed_response_alg: 'userinfo answers plain JSON',
  userinfo_encrypted_response_alg: 'userinfo answers plain JSON',
  userinfo_encrypted_response_enc: 'userinfo answers plain JSON',
  introspection_signed_response_alg: 'introspection answers plain JSON',
  introspection_encrypted_response_alg: 'introspection answers plain JSON',
  introspection_encrypted_response_enc: 'introspection answers plain JSON',
  authorization_signed_response_alg: 'authorization responses are not JWTs (no JARM)',
  authorization_encrypted_response_alg: 'authorization responses are not JWTs (no JARM)',
  authorization_encrypted_response_enc: 'authorization responses are not JWTs (no JARM)',
  request_object_signing_alg: 'request objects are not accepted; pushed authorization requests are',
  request_object_encryption_alg: 'request objects are not accepted; pushed authorization requests are',
  request_object_encryption_enc: 'request objects are not accepted; pushed authorization requests are',
  require_signed_request_object: 'request objects are not accepted; pushed authorization requests are',
};

export interface NewClient {
  client_id?: string;
  profile: string;
  client_name: string;
  organisation_name: string;
  organisation_domain?: string;
  logo_uri?: string;
  contacts: string[];
  max_level?: 1 | 2;
  scopes: string[];
  sector_identifier?: string;
  consent_mode?: 'choice' | 'notice';
  /** Protocol metadata: redirect_uris, post_logout_redirect_uris, jwks or jwks_uri, backchannel_logout_uri, … */
  metadata?: Metadata;
}

const REGISTRY_KEYS = new Set(['client_id', 'client_secret', 'scope', 'assurance_level', 'consent_mode', 'profile', 'sector_identifier', 'logo_uri', 'contacts', 'organisation_name', 'organisation_domain']);

/**
 * Gives the metadata its pairwise sector: `sector_identifier` (the first redirect host) and, for redirect URIs on
 * several hosts, a sector_identifier_uri the registry serves (src/oidc/sectors.ts, assignSector).
 */
export type AssignSector = (metadata: Metadata & { client_id: string }) => Metadata;

export async function registerClient(db: Kysely<Schema>, input: NewClient, actor: Actor, validate: ValidateMetadata, assignSector: AssignSector = (m) => m): Promise<Outcome<{ client: ClientRecord; secret?: string }>> {
  const profile = input.profile as (typeof REGISTRY_PROFILES)[number];
  if (!REGISTRY_PROFILES.includes(profile)) return refuse(400, 'invalid_client_metadata', `profile: one of ${REGISTRY_PROFILES.join(', ')}`);
  const clientId = input.client_id ?? `${profile.replace('_', '-')}-${randomBytes(9).toString('base64url')}`;
  const reserved = Object.keys(input.metadata ?? {}).find((key) => REGISTRY_KEYS.has(key));
  if (reserved) return refuse(400, 'invalid_client_metadata', `metadata.${reserved}: set it as a registry field, not in metadata (the secret is generated)`);
  let protocol: Metadata;
  let scopes: string[];
  try {
    protocol = applyProfile(profile, { client_name: input.client_name, ...input.metadata });
    scopes = checkScopes(profile, input.scopes);
  } catch (error) {
    if (error instanceof ProfileViolation) return refuse(400, 'invalid_client_metadata', error.message);
    throw error;
  }
  const { sector_identifier: assignedSector, ...sectored } = assignSector({ ...protocol, client_id: clientId });
  protocol = sectored;
  const method = protocol.token_endpoint_auth_method;
  const secret = method === 'client_secret_basic' || method === 'client_secret_post' ? generateClientSecret() : undefined;
  const row = {
    client_id: clientId,
    metadata: { ...protocol, client_id: clientId },
    profile,
    state: 'pending' as const,
    max_level: input.max_level ?? 1,
    scopes,
    sector_identifier: input.sector_identifier ?? (typeof assignedSector === 'string' ? assignedSector : null),
    consent_mode: input.consent_mode ?? 'choice',
    organisation_name: input.organisation_name,
    organisation_domain: input.organisation_domain ?? null,
    logo_uri: input.logo_uri ?? null,
    contacts: input.contacts,
    secret_hash: secret ? hashClientSecret(secret) : null,
    secret_rotated_at: null,
  };
  // The provider judges the whole client as it would serve it (redirect URIs, keys, algorithms, scopes).
  let served: Record<string, unknown> | void;
  try {
    served = await validate(composeMetadata({ ...row, state_reason: null, state_changed_at: new Date(), created_at: new Date(), updated_at: new Date() }));
  } catch (error) {
    const described = error as { error?: string; error_description?: string; message?: string };
    if (described.error) return refuse(400, described.error, described.error_description ?? described.message ?? 'invalid client metadata');
    throw error;
  }
  // A field the provider does not recognise would be stored and shown back, and take no effect: refused, by name.
  const ignored = served ? Object.keys(input.metadata ?? {}).find((field) => input.metadata![field] !== undefined && !Object.hasOwn(served, field)) : undefined;
  if (ignored !== undefined) {
    return refuse(400, 'invalid_client_metadata', `${ignored} is not supported by this provider${UNSUPPORTED[ignored] ? ` (${UNSUPPORTED[ignored]})` : ''}: registered, it would take no effect`);
  }
  const created = await db.transaction().execute(async (trx) => {
    if (await findClientRow(trx, clientId)) return undefined;
    const inserted = await trx.insertInto('relying_parties').values({ ...row, metadata: JSON.stringify(row.metadata) }).returningAll().executeTakeFirstOrThrow();
    await recordAudit(trx, { actor, action: 'client.registered', subject: { type: 'relying_party', id: clientId }, detail: { profile, scopes, max_level: row.max_level } });
    return inserted;
  });
  if (!created) return refuse(409, 'client_exists', `a relying party already has client_id ${clientId}`);
  return { ok: true, value: { client: clientRecord(created), ...(secret ? { secret } : {}) } };
}

/** State changes: pending → approved ⇄ suspended. A suspension takes effect on the client's next request. */
const TRANSITIONS: Record<'approve' | 'suspend' | 'reinstate', { from: ClientState; to: ClientState }> = {
  approve: { from: 'pending', to: 'approved' },
  suspend: { from: 'approved', to: 'suspended' },
  reinstate: { from: 'suspended', to: 'approved' },
};

export async function changeClientState(db: Kysely<Schema>, clientId: string, change: keyof typeof TRANSITIONS, actor: Actor, reason?: string): Promise<Outcome<ClientRecord>> {
  const { from, to } = TRANSITIONS[change];
  if (change === 'suspend' && !reason?.trim()) return refuse(400, 'invalid_request', 'reason: say why the client is suspended (it is kept in the audit trail)');
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('relying_parties')
      .set({ state: to, state_reason: change === 'suspend' ? reason!.trim() : null, state_changed_at: new Date(), updated_at: new Date() })
      .where('client_id', '=', clientId)
      .where('state', '=', from)
      .returningAll()
      .executeTakeFirst();
    if (!updated) {
      const current = await findClientRow(trx, clientId);
      if (!current) return notFound(clientId);
      return refuse(409, 'invalid_state', `client ${clientId} is ${current.state}; ${change} applies to a ${from} client`);
    }
    await announceClientChange(trx, clientId);
    await recordAudit(trx, { actor, action: `client.${change === 'approve' ? 'approved' : change === 'suspend' ? 'suspended' : 'reinstated'}`, subject: { type: 'relying_party', id: clientId }, detail: reason ? { reason: reason.trim() } : {} });
    return { ok: true as const, value: clientRecord(updated) };
  });
}

/** A new secret, returned once; the old one stops working at once. Only for clients that authenticate with one. */
export async function rotateClientSecret(db: Kysely<Schema>, clientId: string, actor: Actor): Promise<Outcome<{ client: ClientRecord; secret: string }>> {
  const secret = generateClientSecret();
  return db.transaction().execute(async (trx) => {
    const current = await findClientRow(trx, clientId);
    if (!current) return notFound(clientId);
    const method = String((composeMetadata(current).token_endpoint_auth_method as string | undefined) ?? 'client_secret_basic');
    if (!method.startsWith('client_secret_')) return refuse(409, 'no_secret', `client ${clientId} authenticates with ${method}: rotate its keys (jwks) instead`);
    const updated = await trx
      .updateTable('relying_parties')
      .set({ secret_hash: hashClientSecret(secret), secret_rotated_at: new Date(), updated_at: new Date() })
      .where('client_id', '=', clientId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await announceClientChange(trx, clientId);
    await recordAudit(trx, { actor, action: 'client.secret_rotated', subject: { type: 'relying_party', id: clientId } });
    return { ok: true as const, value: { client: clientRecord(updated), secret } };
  });
}

/** Changes what the client is approved for: its scopes and highest level. */
export async function setClientApproval(db: Kysely<Schema>, clientId: string, change: { scopes?: string[]; max_level?: 1 | 2 }, actor: Actor, validate: ValidateMetadata): Promise<Outcome<ClientRecord>> {
  return db.transaction().execute(async (trx) => {
    const current = await findClientRow(trx, clientId);
    if (!current) return notFound(clientId);
    let scopes = current.scopes;
    try {
      if (change.scopes !== undefined) scopes = checkScopes(current.profile, change.scopes);
    } catch (error) {
      if (error instanceof ProfileViolation) return refuse(400, 'invalid_client_metadata', error.message);
      throw error;
    }
    const maxLevel = change.max_level ?? current.max_level;
    try {
      await validate(composeMetadata({ ...current, scopes, max_level: maxLevel }));
    } catch (error) {
      const described = error as { error?: string; error_description?: string };
      if (described.error) return refuse(400, described.error, described.error_description ?? 'invalid client metadata');
      throw error;
    }
    const updated = await trx.updateTable('relying_parties').set({ scopes, max_level: maxLevel, updated_at: new Date() }).where('client_id', '=', clientId).returningAll().executeTakeFirstOrThrow();
    await announceClientChange(trx, clientId);
    await recordAudit(trx, { actor, action: 'client.approval_changed', subject: { type: 'relying_party', id: clientId }, detail: { from: { scopes: current.scopes, max_level: current.max_level }, to: { scopes, max_level: maxLevel } } });
    return { ok: true as const, value: clientRecord(updated) };
  });
}

export async function listClients(db: Kysely<Schema>, filter: { state?: ClientState; profile?: string } = {}): Promise<ClientRecord[]> {
  let query = db.selectFrom('relying_parties').selectAll().where('profile', '!=', 'first_party').orderBy('client_id');
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.profile) query = query.where('profile', '=', filter.profile as never);
  return (await query.execute()).map(clientRecord);
}

export async function showClient(db: Kysely<Schema>, clientId: string): Promise<Outcome<ClientRecord & { audit: Awaited<ReturnType<typeof auditTrail>> }>> {
  const row = await findClientRow(db, clientId);
  if (!row) return notFound(clientId);
  return { ok: true, value: { ...clientRecord(row), audit: await auditTrail(db, { type: 'relying_party', id: clientId }) } };
}
