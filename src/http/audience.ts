// Who is asking: people get pages (the sign-in flow, the citizen's own page and its forms, or a browser asking for
// HTML); programs get JSON errors.
import type { FastifyRequest } from 'fastify';

/** The citizen's own page and the forms on it: only a browser ever posts there. */
export const isAccountPage = (url: string) => url === '/account' || /^\/account[/?]/.test(url);

export function wantsHtml(request: FastifyRequest): boolean {
  if (request.url.startsWith('/interaction/') || isAccountPage(request.url)) return true;
  return request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
}
