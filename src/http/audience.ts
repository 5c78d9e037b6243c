// Who is asking: people get pages (the sign-in flow, or a browser asking for HTML); programs get JSON errors.
import type { FastifyRequest } from 'fastify';

export function wantsHtml(request: FastifyRequest): boolean {
  if (request.url.startsWith('/interaction/')) return true;
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}
