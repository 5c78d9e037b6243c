// One JSON API, one OpenAPI 3.1 document generated from its route schemas, served at `path`. Call apiDocument in
// the API's own encapsulated scope (a plugin registered with app.register) before adding its routes: the document
// then lists exactly the routes of that scope and its children, so two APIs in one app keep two documents.
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { checkResponses } from './response-check.ts';
import { strictValidation } from './strict-validation.ts';

type SecurityScheme = { type: 'http'; scheme: string; description: string } | { type: 'apiKey'; in: 'header'; name: string; description: string };

export interface ApiDocumentOptions {
  title: string;
  description: string;
  version: string;
  /** Where the document is served, e.g. /admin/openapi.json; it needs no authentication. */
  path: string;
  /** The base URL the API's paths are relative to: the issuer. */
  server: string;
  /** Check every answer against its response schema (outside production). */
  checkResponses: boolean;
  /** How a caller gets the bearer token, for the document's security scheme. */
  tokenDescription?: string;
  /** Another way the API authenticates than a bearer token (the app API's Device-Proof header). */
  securityScheme?: { name: string; scheme: SecurityScheme };
}

export async function apiDocument(scope: FastifyInstance, options: ApiDocumentOptions): Promise<void> {
  strictValidation(scope);
  if (options.checkResponses) checkResponses(scope);
  const scheme: { name: string; scheme: SecurityScheme } = options.securityScheme ?? { name: 'bearer', scheme: { type: 'http', scheme: 'bearer', description: options.tokenDescription ?? 'a session token from the sign-in route' } };
  await scope.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, description: options.description, version: options.version },
      servers: [{ url: options.server }],
      components: { securitySchemes: { [scheme.name]: scheme.scheme } },
      // Every route needs the bearer token (or the API's own scheme) unless its schema says `security: []`.
      security: [{ [scheme.name]: [] }],
    },
  });
  scope.get(options.path, { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').send(scope.swagger()));
}
