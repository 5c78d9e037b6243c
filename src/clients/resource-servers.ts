// APIs (resource servers, RFC 8707) kept in the registry, and which client may get which of their scopes
// (tables resource_servers and resource_server_grants). Plain queries: the operator API and CLI call them and
// audit; the provider reads them through resourceAccess and introspectsFor (src/oidc/resource-indicators.ts).
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ResourceServerGrantTable, ResourceServerTable, Schema } from '../db/schema.ts';
import { isAcceptableText } from '../http/acceptable-text.ts';
import { announceClientChange } from './changes.ts';

type Db = Kysely<Schema> | Transaction<Schema>;

export const ACCESS_TOKEN_FORMATS = ['jwt', 'opaque'] as const;
export type AccessTokenFormat = (typeof ACCESS_TOKEN_FORMATS)[number];

export interface ResourceServer {
  /** The resource indicator clients send as `resource`, and the tokens' `aud`. */
  identifier: string;
  name: string;
  scopes: string[];
  /** 'jwt': RFC 9068 access tokens the API verifies offline; 'opaque': the API introspects. */
  accessTokenFormat: AccessTokenFormat;
  /** Seconds. */
  accessTokenTtl: number;
  /** The resource server's own client, allowed to introspect tokens for this audience (and no others). */
  introspectionClientId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ResourceServerInput {
  identifier: string;
  name: string;
  scopes: string[];
  accessTokenFormat?: AccessTokenFormat;
  accessTokenTtl?: number;
  introspectionClientId?: string | null;
}

export type ResourceServerChanges = Partial<Omit<ResourceServerInput, 'identifier'>>;

export interface ResourceAccessGrant {
  clientId: string;
  resource: string;
  scopes: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** Input an operator can correct; `field` names it in the operator's terms (snake_case, as in the API). */
export class ResourceServerInputError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'ResourceServerInputError';
    this.field = field;
  }
}

/** RFC 6749 scope-token: printable ASCII but space, '"' and '\' (the same rule as the tables' checks). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const TTL = { min: 60, max: 86_400 };

function checkIdentifier(identifier: unknown): string {
  // RFC 8707: an absolute URI without a fragment. Kept exactly as registered: clients send this string.
  if (typeof identifier !== 'string' || identifier.length > 2000 || !isAcceptableText(identifier) || /\s/.test(identifier) || !URL.canParse(identifier) || identifier.includes('#') || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(identifier)) {
    throw new ResourceServerInputError('identifier', 'identifier must be an absolute URI without a fragment, e.g. https://api.example.gov.vn/');
  }
  return identifier;
}

function checkScopes(scopes: unknown, field = 'scopes'): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > 100) {
    throw new ResourceServerInputError(field, `${field} must list between 1 and 100 scopes`);
  }
  const bad = scopes.find((scope) => typeof scope !== 'string' || !SCOPE_TOKEN.test(scope));
  if (bad !== undefined) {
    throw new ResourceServerInputError(field, `${field}: ${JSON.stringify(bad)} is not a scope (printable ASCII without spaces, quotes or backslashes)`);
  }
  return [...new Set(scopes as string[])];
}

function checkChanges(changes: ResourceServerChanges): Partial<Selectable<ResourceServerTable>> {
  const out: Partial<Selectable<ResourceServerTable>> = {};
  if (changes.name !== undefined) {
    if (typeof changes.name !== 'string' || !isAcceptableText(changes.name) || changes.name.trim().length < 1 || changes.name.trim().length > 200) {
      throw new ResourceServerInputError('name', 'name must be 1 to 200 characters');
    }
    out.name = changes.name.trim();
  }
  if (changes.scopes !== undefined) out.scopes = checkScopes(changes.scopes);
  if (changes.accessTokenFormat !== undefined) {
    if (!ACCESS_TOKEN_FORMATS.includes(changes.accessTokenFormat)) {
      throw new ResourceServerInputError('access_token_format', `access_token_format must be ${ACCESS_TOKEN_FORMATS.join(' or ')}`);
    }
    out.access_token_format = changes.accessTokenFormat;
  }
  if (changes.accessTokenTtl !== undefined) {
    if (!Number.isInteger(changes.accessTokenTtl) || changes.accessTokenTtl < TTL.min || changes.accessTokenTtl > TTL.max) {
      throw new ResourceServerInputError('access_token_ttl', `access_token_ttl must be a whole number of seconds from ${TTL.min} to ${TTL.max}`);
    }
    out.access_token_ttl = changes.accessTokenTtl;
  }
  if (changes.introspectionClientId !== undefined) {
    if (changes.introspectionClientId !== null && typeof changes.introspectionClientId !== 'string') {
      throw new ResourceServerInputError('introspection_client_id', 'introspection_client_id must be a client_id or null');
    }
    out.introspection_client_id = changes.introspectionClientId;
  }
  return out;
}

async function assertClientExists(db: Db, clientId: string, field: string): Promise<void> {
  const found = typeof clientId === 'string' && isAcceptableText(clientId) && (await db.selectFrom('relying_parties').select('client_id').where('client_id', '=', clientId).executeTakeFirst());
  if (!found) throw new ResourceServerInputError(field, `${field} ${JSON.stringify(clientId)} names no registered client`);
}

function resourceServer(row: Selectable<ResourceServerTable>): ResourceServer {
  return {
    identifier: row.identifier,
    name: row.name,
    scopes: row.scopes,
    accessTokenFormat: row.access_token_format,
    accessTokenTtl: row.access_token_ttl,
    introspectionClientId: row.introspection_client_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function accessGrant(row: Selectable<ResourceServerGrantTable>): ResourceAccessGrant {
  return { clientId: row.client_id, resource: row.resource, scopes: row.scopes, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Runs fn in a transaction, or in the caller's when it already is one (the operator API audits in the same). */
function inTransaction<T>(db: Db, fn: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Schema>) : db.transaction().execute(fn);
}

export async function findResourceServer(db: Db, identifier: string): Promise<ResourceServer | undefined> {
  if (typeof identifier !== 'string' || !isAcceptableText(identifier)) return undefined;
  const row = await db.selectFrom('resource_servers').selectAll().where('identifier', '=', identifier).executeTakeFirst();
  return row && resourceServer(row);
}

export async function listResourceServers(db: Db): Promise<ResourceServer[]> {
  return (await db.selectFrom('resource_servers').selectAll().orderBy('identifier').execute()).map(resourceServer);
}

/** Registers an API; an identifier already registered is refused (update it instead). */
export async function addResourceServer(db: Db, input: ResourceServerInput): Promise<ResourceServer> {
  const identifier = checkIdentifier(input.identifier);
  const values = checkChanges({ accessTokenFormat: 'jwt', accessTokenTtl: 600, introspectionClientId: null, ...input });
  if (values.name === undefined) throw new ResourceServerInputError('name', 'name must be 1 to 200 characters');
  if (values.scopes === undefined) throw new ResourceServerInputError('scopes', 'scopes must list between 1 and 100 scopes');
  return inTransaction(db, async (trx) => {
    if (values.introspection_client_id) await assertClientExists(trx, values.introspection_client_id, 'introspection_client_id');
    const row = await trx
      .insertInto('resource_servers')
      .values({ ...values, identifier, name: values.name!, scopes: values.scopes!, access_token_format: values.access_token_format! })
      .onConflict((oc) => oc.column('identifier').doNothing())
      .returningAll()
      .executeTakeFirst();
    // Every instance drops what it cached of APIs (src/clients/changes.ts); sent when the transaction commits.
    await announceClientChange(trx, '');
    if (!row) throw new ResourceServerInputError('identifier', `a resource server ${identifier} is already registered`);
    return resourceServer(row);
  });
}

/**
 * Changes an API's name, scopes, token format or lifetime, or its introspecting client; undefined when no such
 * API. Scopes taken away from the API are taken away from every client's access to it in the same transaction.
 */
export async function updateResourceServer(db: Db, identifier: string, changes: ResourceServerChanges): Promise<ResourceServer | undefined> {
  const values = checkChanges(changes);
  return inTransaction(db, async (trx) => {
    await announceClientChange(trx, '');
    if (!(await findResourceServer(trx, identifier))) return undefined;
    if (values.introspection_client_id) await assertClientExists(trx, values.introspection_client_id, 'introspection_client_id');
    const row = await trx
      .updateTable('resource_servers')
      .set({ ...values, updated_at: new Date() })
      .where('identifier', '=', identifier)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (values.scopes) {
      const offered = new Set(values.scopes);
      const grants = await trx.selectFrom('resource_server_grants').selectAll().where('resource', '=', identifier).execute();
      for (const grant of grants) {
        const kept = grant.scopes.filter((scope) => offered.has(scope));
        if (kept.length === grant.scopes.length) continue;
        const key = { client_id: grant.client_id, resource: identifier };
        if (kept.length) {
          await trx.updateTable('resource_server_grants').set({ scopes: kept, updated_at: new Date() }).where('client_id', '=', key.client_id).where('resource', '=', key.resource).execute();
        } else {
          await trx.deleteFrom('resource_server_grants').where('client_id', '=', key.client_id).where('resource', '=', key.resource).execute();
        }
      }
    }
    return resourceServer(row);
  });
}

/** Removes an API and every client's access to it; whether there was one. */
export async function removeResourceServer(db: Db, identifier: string): Promise<boolean> {
  if (typeof identifier !== 'string' || !isAcceptableText(identifier)) return false;
  return inTransaction(db, async (trx) => {
    const result = await trx.deleteFrom('resource_servers').where('identifier', '=', identifier).executeTakeFirst();
    await announceClientChange(trx, '');
    return Number(result.numDeletedRows) > 0;
  });
}

/** Lets a client get these scopes at an API (replacing what it had there); each must be one the API offers. */
export async function grantResourceAccess(db: Db, clientId: string, resource: string, scopes: string[]): Promise<ResourceAccessGrant> {
  const wanted = checkScopes(scopes);
  return inTransaction(db, async (trx) => {
    await announceClientChange(trx, clientId);
    await assertClientExists(trx, clientId, 'client_id');
    const server = await findResourceServer(trx, resource);
    if (!server) throw new ResourceServerInputError('resource', `resource ${JSON.stringify(resource)} is not a registered resource server`);
    const offered = new Set(server.scopes);
    const foreign = wanted.find((scope) => !offered.has(scope));
    if (foreign) throw new ResourceServerInputError('scopes', `scope ${foreign} is not offered by ${resource} (it offers: ${server.scopes.join(' ')})`);
    const row = await trx
      .insertInto('resource_server_grants')
      .values({ client_id: clientId, resource, scopes: wanted })
      .onConflict((oc) => oc.columns(['client_id', 'resource']).doUpdateSet({ scopes: wanted, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return accessGrant(row);
  });
}

/** Takes away a client's access to an API; whether it had any. Tokens already issued run out at their expiry. */
export async function revokeResourceAccess(db: Db, clientId: string, resource: string): Promise<boolean> {
  if (!isAcceptableText(clientId) || !isAcceptableText(resource)) return false;
  return inTransaction(db, async (trx) => {
    const result = await trx.deleteFrom('resource_server_grants').where('client_id', '=', clientId).where('resource', '=', resource).executeTakeFirst();
    await announceClientChange(trx, clientId);
    return Number(result.numDeletedRows) > 0;
  });
}

/** Access grants, for one client, for one API, or all. */
export async function listResourceAccess(db: Db, filter: { clientId?: string; resource?: string } = {}): Promise<ResourceAccessGrant[]> {
  if (Object.values(filter).some((value) => typeof value !== 'string' || !isAcceptableText(value))) return [];
  let query = db.selectFrom('resource_server_grants').selectAll();
  if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId);
  if (filter.resource !== undefined) query = query.where('resource', '=', filter.resource);
  return (await query.orderBy('client_id').orderBy('resource').execute()).map(accessGrant);
}

/**
 * What the provider needs on a token request naming `resource`: the API (undefined if none is registered) and
 * the scopes this client may get there (undefined when it has no access). Scopes the API no longer offers never count.
 */
export async function resourceAccess(db: Db, clientId: string, resource: string): Promise<{ server?: ResourceServer; scopes?: string[] }> {
  if (typeof resource !== 'string' || !isAcceptableText(resource)) return {};
  const known = typeof clientId === 'string' && isAcceptableText(clientId) ? clientId : '';
  // One round trip on every token request for an API: the API and this client's grant there, if any.
  const row = await db
    .selectFrom('resource_servers as s')
    .leftJoin('resource_server_grants as g', (join) => join.onRef('g.resource', '=', 's.identifier').on('g.client_id', '=', known))
    .selectAll('s')
    .select('g.scopes as granted')
    .where('s.identifier', '=', resource)
    .executeTakeFirst();
  if (!row) return {};
  const { granted, ...serverRow } = row;
  const server = resourceServer(serverRow);
  if (!granted) return { server };
  const offered = new Set(server.scopes);
  return { server, scopes: granted.filter((scope) => offered.has(scope)) };
}

/** The APIs a client has access to (the provider defaults to the only one when a service names none). */
export async function grantedResources(db: Db, clientId: string): Promise<string[]> {
  const rows = await db.selectFrom('resource_server_grants').select('resource').where('client_id', '=', clientId).orderBy('resource').execute();
  return rows.map((row) => row.resource);
}

/** Whether this client is the introspecting client of the API with this identifier (a token's audience). */
export async function introspectsFor(db: Db, clientId: string, audience: string): Promise<boolean> {
  if (!isAcceptableText(audience)) return false;
  const row = await db
    .selectFrom('resource_servers')
    .select('identifier')
    .where('identifier', '=', audience)
    .where('introspection_client_id', '=', clientId)
    .executeTakeFirst();
  return row !== undefined;
}
