// The operator API (JSON, Bearer session of a staff member with the operator role): the client registry.
// Operators sign in like officers (POST /admin/sessions, password and TOTP) and reach only these routes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { ClientState, Schema } from '../db/schema.ts';
import { officerForToken, type OfficerIdentity } from '../admin/officers.ts';
import { changeClientState, listClients, registerClient, rotateClientSecret, setClientApproval, showClient, type NewClient, type Outcome, type ValidateMetadata } from '../clients/lifecycle.ts';
import type { Reach } from '../db/notifications.ts';
import { answerOnceInEffect } from '../http/changes-in-effect.ts';
import { apiDocument } from '../http/openapi.ts';
import { assignSector } from '../oidc/sectors.ts';
import { resourceRoutes } from './resource-routes.ts';
import { clientView, routeSchemas } from './schemas.ts';

export interface OperatorRouteOptions {
  db: Kysely<Schema>;
  now: () => Date;
  /** The provider's judgement of a client's metadata. */
  validateMetadata: ValidateMetadata;
  issuer: string;
  /** Check every answer against its response schema (outside production). */
  checkResponses: boolean;
  /** Waits until every instance has heard of the changes committed so far (src/db/notifications.ts). */
  reachEveryInstance(): Promise<Reach>;
}

const bearer = (request: FastifyRequest) => /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(request.headers.authorization ?? '')?.[1];

export async function operatorRoutes(app: FastifyInstance, { db, now, validateMetadata, issuer, checkResponses, reachEveryInstance }: OperatorRouteOptions) {
  await apiDocument(app, {
    title: 'dinhdanh operator API',
    description: 'The client registry: relying parties (profiles, approval, suspension, secrets) and the APIs services get tokens for.',
    version: '1',
    path: '/operator/openapi.json',
    server: issuer,
    checkResponses,
    tokenDescription: 'the token from POST /admin/sessions (password and TOTP) of a staff member with the operator role',
  });
  const operators = new WeakMap<FastifyRequest, OfficerIdentity>();
  app.addHook('onRequest', async (request, reply) => {
    // Everything but the published API description needs an operator's session.
    if (request.url.startsWith('/operator/openapi.json')) return;
    const token = bearer(request);
    const staff = token ? await officerForToken(db, token, now()) : undefined;
    if (!staff) {
      reply.header('www-authenticate', 'Bearer realm="dinhdanh-operator"');
      return reply.code(401).send({ error: 'invalid_token', error_description: 'an operator session token is required (POST /admin/sessions)' });
    }
    if (staff.role !== 'operator') {
      return reply.code(403).send({ error: 'operators_only', error_description: 'the client registry is run by operators; officers and supervisors cannot change it' });
    }
    operators.set(request, staff);
  });
  // A client suspended (or its secret rotated) is refused on every instance once the operator has the answer.
  answerOnceInEffect(app, reachEveryInstance);
  app.addHook('onResponse', async (request, reply) => {
    const staff = operators.get(request);
    if (staff) request.log.info({ event: 'operator.action', operator: staff.id, method: request.method, route: request.routeOptions.url, status: reply.statusCode }, 'operator action');
  });
  const actorOf = (request: FastifyRequest) => ({ type: 'operator' as const, id: operators.get(request)!.id });
  resourceRoutes(app, { db, actorOf });

  function answer<T>(reply: FastifyReply, outcome: Outcome<T>, view: (value: T) => unknown, status = 200) {
    if (!outcome.ok) return reply.code(outcome.refusal.status).send({ error: outcome.refusal.error, error_description: outcome.refusal.description });
    return reply.code(status).send(view(outcome.value));
  }

  app.post<{ Body: NewClient }>('/operator/clients', { schema: routeSchemas.create }, async (request, reply) => {
    const outcome = await registerClient(db, request.body, actorOf(request), validateMetadata, (metadata) => assignSector(metadata, issuer));
    return answer(reply, outcome, ({ client, secret }) => ({ client: clientView(client), ...(secret ? { client_secret: secret } : {}) }), 201);
  });

  app.get<{ Querystring: { state?: ClientState; profile?: string } }>('/operator/clients', { schema: routeSchemas.list }, async (request) => ({
    clients: (await listClients(db, request.query)).map(clientView),
  }));

  app.get<{ Params: { clientId: string } }>('/operator/clients/:clientId', { schema: routeSchemas.show }, async (request, reply) =>
    answer(reply, await showClient(db, request.params.clientId), (record) => ({ ...clientView(record), audit: record.audit })),
  );

  for (const change of ['approve', 'reinstate'] as const) {
    app.post<{ Params: { clientId: string } }>(`/operator/clients/:clientId/${change}`, { schema: routeSchemas[change] }, async (request, reply) =>
      answer(reply, await changeClientState(db, request.params.clientId, change, actorOf(request)), clientView),
    );
  }

  app.post<{ Params: { clientId: string }; Body: { reason: string } }>('/operator/clients/:clientId/suspend', { schema: routeSchemas.suspend }, async (request, reply) =>
    answer(reply, await changeClientState(db, request.params.clientId, 'suspend', actorOf(request), request.body.reason), clientView),
  );

  app.post<{ Params: { clientId: string } }>('/operator/clients/:clientId/secret', { schema: routeSchemas.rotateSecret }, async (request, reply) =>
    answer(reply, await rotateClientSecret(db, request.params.clientId, actorOf(request)), ({ client, secret }) => ({ client: clientView(client), client_secret: secret })),
  );

  app.put<{ Params: { clientId: string }; Body: { scopes?: string[]; max_level?: 1 | 2 } }>('/operator/clients/:clientId/approval', { schema: routeSchemas.approval }, async (request, reply) =>
    answer(reply, await setClientApproval(db, request.params.clientId, request.body, actorOf(request), validateMetadata), clientView),
  );
}
