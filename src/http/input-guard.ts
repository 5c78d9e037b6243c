// Our own routes (sign-in pages, /account, /admin) refuse unacceptable text before any handler or query sees it.
import type { FastifyRequest } from 'fastify';
import { unacceptableDescription, unacceptableParameter } from './acceptable-text.ts';

/** Error code of the refusal; the app's error handler answers it as a 400 page or invalid_request JSON. */
export const UNACCEPTABLE_INPUT = 'DD_UNACCEPTABLE_INPUT';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route checks its parameters itself, in its own terms (the provider mount does, in OAuth's). */
    checksOwnParameters?: boolean;
  }
}

/** preValidation hook: path parameters, query and parsed body, names and values alike. */
export async function refuseUnacceptableInput(request: FastifyRequest): Promise<void> {
  if (request.routeOptions.config?.checksOwnParameters) return;
  const found = unacceptableParameter(request.params) ?? unacceptableParameter(request.query) ?? unacceptableParameter(request.body);
  if (found) throw Object.assign(new Error(unacceptableDescription(found)), { statusCode: 400, code: UNACCEPTABLE_INPUT });
}
