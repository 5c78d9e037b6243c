// Mounts oidc-provider inside Fastify: protocol paths go to the provider untouched, Fastify owns everything else.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';

// The provider's default routes (node_modules/oidc-provider/lib/helpers/defaults.js, `routes`), plus discovery.
const PROTOCOL_PATHS = [
  '/.well-known',
  '/auth',
  '/token',
  '/me',
  '/jwks',
  '/session/end',
  '/request',
  '/device',
  '/backchannel',
  '/reg',
  '/challenge',
  '/credential',
];

export async function providerRoutes(app: FastifyInstance, { provider }: { provider: Provider }) {
  // The provider reads request bodies itself: in this plugin's scope Fastify must leave the stream unread.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const handle = provider.callback();
  const forward = (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    handle(request.raw, reply.raw);
  };
  for (const path of PROTOCOL_PATHS) {
    app.all(path, forward);
    app.all(`${path}/*`, forward);
  }
}
