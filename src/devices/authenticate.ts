// The app API's authentication: a preHandler that checks the request's Device-Proof and sets request.device.
// Call deviceScope(scope, deps) in the /app API's encapsulated scope before its routes: it keeps each JSON body as
// received (the proof's bsh covers those exact bytes) and decorates the scope with `requireDevice`, which every
// route of the scope and its children puts in its preHandler.
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Device } from './devices.ts';
import { verifyDeviceProof, type ProofDeps } from './proof.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The bound device that signed this request (set by requireDevice). */
    device: Device | null;
  }
  interface FastifyInstance {
    /** preHandler of the app API: 401 invalid_device_proof unless the request carries a valid proof. */
    requireDevice: preHandlerAsyncHookHandler;
  }
}

export const DEVICE_PROOF_HEADER = 'device-proof';

export function invalidDeviceProof(reply: FastifyReply, description: string) {
  reply.header('www-authenticate', `DeviceProof error="invalid_device_proof"`);
  return reply.code(401).header('cache-control', 'no-store').send({ error: 'invalid_device_proof', error_description: description });
}

/** The preHandler alone, for a route outside the scope (it then sees no raw body: bodies are refused, fail closed). */
export function deviceAuthentication(deps: ProofDeps, rawBodyOf: (request: FastifyRequest) => string | undefined = () => undefined): preHandlerAsyncHookHandler {
  return async function requireDevice(request, reply) {
    const header = request.headers[DEVICE_PROOF_HEADER];
    const rawBody = rawBodyOf(request);
    if (request.body !== undefined && request.body !== null && rawBody === undefined) {
      request.log.error({ route: request.routeOptions.url }, 'requireDevice used outside deviceScope: the body cannot be checked');
      return invalidDeviceProof(reply, 'this route cannot check the body hash (bsh); the request is refused');
    }
    const check = await verifyDeviceProof(deps, { proof: typeof header === 'string' ? header : undefined, method: request.method, url: request.url, rawBody });
    if (!check.ok) {
      request.log.info({ event: 'device.proof_refused', reason: check.reason }, 'device proof refused');
      return invalidDeviceProof(reply, check.description);
    }
    request.device = check.device;
  };
}

export function deviceScope(scope: FastifyInstance, deps: ProofDeps): void {
  const rawBodies = new WeakMap<FastifyRequest, string>();
  const parseJson = scope.getDefaultJsonParser('error', 'error');
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    rawBodies.set(request, body as string);
    parseJson(request, body as string, done);
  });
  scope.decorateRequest('device', null);
  scope.decorate('requireDevice', deviceAuthentication(deps, (request) => rawBodies.get(request)));
}
