// The operator API's APIs-for-services part: resource servers (RFC 8707) and which client may get which of their
// scopes. Added to the operator plugin (same session check); every change audited with the change itself.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/audit.ts';
import type { Actor } from '../clients/lifecycle.ts';
import { findClientRow } from '../clients/registry.ts';
import {
  addResourceServer, grantResourceAccess, listResourceAccess, listResourceServers, ResourceServerInputError, revokeResourceAccess,
  type AccessTokenFormat, type ResourceAccessGrant, type ResourceServer,
} from '../clients/resource-servers.ts';
import type { Schema } from '../db/schema.ts';
import { CLIENT_ID } from './schemas.ts';

const error = { type: 'object', required: ['error', 'error_description'], properties: { error: { type: 'string' }, error_description: { type: 'string' } } } as const;
const refusals = { 400: error, 401: error, 403: error, 404: error, 409: error } as const;
const server = {
  type: 'object',
  properties: {
    identifier: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } },
    access_token_format: { type: 'string', enum: ['jwt', 'opaque'] }, access_token_ttl: { type: 'integer' },
    introspection_client_id: { type: ['string', 'null'] }, created_at: { type: 'string', format: 'date-time' },
  },
} as const;
const access = { type: 'object', properties: { client_id: { type: 'string' }, resource: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } } } as const;
const clientIdParams = { type: 'object', required: ['clientId'], properties: { clientId: { type: 'string', pattern: CLIENT_ID } } } as const;

const serverView = (s: ResourceServer) => ({
  identifier: s.identifier, name: s.name, scopes: s.scopes, access_token_format: s.accessTokenFormat, access_token_ttl: s.accessTokenTtl,
  introspection_client_id: s.introspectionClientId, created_at: s.createdAt.toISOString(),
});
const accessView = (g: ResourceAccessGrant) => ({ client_id: g.clientId, resource: g.resource, scopes: g.scopes });

export function resourceRoutes(app: FastifyInstance, { db, actorOf }: { db: Kysely<Schema>; actorOf: (request: FastifyRequest) => Actor }) {
  // Input the registry refuses comes back naming the field, as a 400.
  async function guarded<T>(reply: FastifyReply, work: () => Promise<T>) {
    try {
      return await work();
    } catch (cause) {
      if (cause instanceof ResourceServerInputError) return reply.code(400).send({ error: 'invalid_request', error_description: cause.message });
      throw cause;
    }
  }

  app.post<{ Body: { identifier: string; name: string; scopes: string[]; access_token_format?: AccessTokenFormat; access_token_ttl?: number; introspection_client_id?: string } }>('/operator/resource-servers', {
    schema: {
      summary: 'Register an API (resource server) that services get tokens for',
      body: {
        type: 'object', additionalProperties: false, required: ['identifier', 'name', 'scopes'],
        properties: {
          identifier: { type: 'string', format: 'uri', description: 'the resource indicator (RFC 8707) and the tokens\' aud' },
          name: { type: 'string', minLength: 1, maxLength: 200 },
          scopes: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 128 } },
          access_token_format: { type: 'string', enum: ['jwt', 'opaque'] },
          access_token_ttl: { type: 'integer', minimum: 60, maximum: 86400 },
          introspection_client_id: { type: 'string', pattern: CLIENT_ID },
        },
      },
      response: { 201: server, ...refusals },
    },
  }, async (request, reply) => guarded(reply, () => db.transaction().execute(async (trx) => {
    const b = request.body;
    const created = await addResourceServer(trx, {
      identifier: b.identifier, name: b.name, scopes: b.scopes,
      ...(b.access_token_format ? { accessTokenFormat: b.access_token_format } : {}),
      ...(b.access_token_ttl ? { accessTokenTtl: b.access_token_ttl } : {}),
      ...(b.introspection_client_id ? { introspectionClientId: b.introspection_client_id } : {}),
    });
    await recordAudit(trx, { actor: actorOf(request), action: 'resource_server.registered', subject: { type: 'resource_server', id: created.identifier }, detail: { scopes: created.scopes, format: created.accessTokenFormat } });
    return reply.code(201).send(serverView(created));
  })));

  app.get('/operator/resource-servers', { schema: { summary: 'List APIs', response: { 200: { type: 'object', properties: { resource_servers: { type: 'array', items: server } } }, ...refusals } } }, async () => ({
    resource_servers: (await listResourceServers(db)).map(serverView),
  }));

  app.get<{ Params: { clientId: string } }>('/operator/clients/:clientId/resources', {
    schema: { summary: 'Which APIs a client may get tokens for, with which scopes', params: clientIdParams, response: { 200: { type: 'object', properties: { resources: { type: 'array', items: access } } }, ...refusals } },
  }, async (request) => ({ resources: (await listResourceAccess(db, { clientId: request.params.clientId })).map(accessView) }));

  app.put<{ Params: { clientId: string }; Body: { resource: string; scopes: string[] } }>('/operator/clients/:clientId/resources', {
    schema: {
      summary: 'Let a client get tokens for an API with these scopes (replaces what it had there)',
      params: clientIdParams,
      body: { type: 'object', additionalProperties: false, required: ['resource', 'scopes'], properties: { resource: { type: 'string', format: 'uri' }, scopes: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string' } } } },
      response: { 200: access, ...refusals },
    },
  }, async (request, reply) => guarded(reply, () => db.transaction().execute(async (trx) => {
    if (!(await findClientRow(trx, request.params.clientId))) return reply.code(404).send({ error: 'unknown_client', error_description: `no relying party has client_id ${request.params.clientId}` });
    const granted = await grantResourceAccess(trx, request.params.clientId, request.body.resource, request.body.scopes);
    await recordAudit(trx, { actor: actorOf(request), action: 'client.resource_granted', subject: { type: 'relying_party', id: granted.clientId }, detail: { resource: granted.resource, scopes: granted.scopes } });
    return accessView(granted);
  })));

  app.delete<{ Params: { clientId: string }; Querystring: { resource: string } }>('/operator/clients/:clientId/resources', {
    schema: {
      summary: 'Withdraw a client\'s access to an API',
      params: clientIdParams,
      querystring: { type: 'object', required: ['resource'], properties: { resource: { type: 'string', format: 'uri' } } },
      response: { 204: { type: 'null' }, ...refusals },
    },
  }, async (request, reply) => db.transaction().execute(async (trx) => {
    const revoked = await revokeResourceAccess(trx, request.params.clientId, request.query.resource);
    if (!revoked) return reply.code(404).send({ error: 'no_access', error_description: `client ${request.params.clientId} has no access to ${request.query.resource}` });
    await recordAudit(trx, { actor: actorOf(request), action: 'client.resource_revoked', subject: { type: 'relying_party', id: request.params.clientId }, detail: { resource: request.query.resource } });
    return reply.code(204).send();
  }));
}
