// An https issuer, yet a request reached the provider over plain http: the TLS proxy in front did not send
// X-Forwarded-Proto, or TRUST_PROXY does not trust it. Every secure cookie would fail, so the request is answered
// with a clear 503 instead of a 500, the log names the setting once, and /readyz reports it from then on.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { translator } from '../interactions/i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE } from '../interactions/language.ts';
import type { Pages } from '../interactions/pages.ts';
import { wantsHtml } from './audience.ts';

export const PLAIN_HTTP_REASON =
  'a request arrived over plain http although ISSUER is https: the TLS proxy must send X-Forwarded-Proto and be trusted by TRUST_PROXY (its hop count or address)';

// Load balancers probe these directly over http, and Prometheus scrapes each instance so; they are never a sign of
// a wrong proxy setting.
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

export interface PlainHttpGuard {
  /** Why the instance is not ready, once a plain-http request has been seen. */
  notReady(): string | undefined;
}

export function guardPlainHttp(app: FastifyInstance, deps: { issuer: string; pages: Pages; logger: Logger }): PlainHttpGuard {
  let seen = false;
  if (!deps.issuer.startsWith('https:')) return { notReady: () => undefined };
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https' || PROBES.has(request.url.split('?')[0]!)) return;
    if (!seen) deps.logger.error({ setting: 'TRUST_PROXY', header: 'X-Forwarded-Proto' }, PLAIN_HTTP_REASON);
    seen = true;
    reply.code(503);
    if (!wantsHtml(request)) return reply.send({ error: 'temporarily_unavailable', error_description: PLAIN_HTTP_REASON });
    const query = request.query as { lang?: unknown } | undefined;
    const lang = chooseLanguage({ query: query?.lang, cookie: request.cookies?.[LANGUAGE_COOKIE] });
    const t = translator(lang);
    const html = await deps.pages.render('message', {
      lang,
      title: t('error.title'),
      heading: t('error.title'),
      message: t('error.body'),
      code: 'temporarily_unavailable',
      detail: PLAIN_HTTP_REASON,
    });
    return reply.type('text/html').send(html);
  });
  return { notReady: () => (seen ? PLAIN_HTTP_REASON : undefined) };
}
