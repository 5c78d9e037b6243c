// An https issuer, yet a request reached the provider over plain http: the TLS proxy in front did not send
// X-Forwarded-Proto, or TRUST_PROXY does not trust it — or someone called the port directly. Every secure cookie
// would fail, so the request is answered with a clear 503 instead of a 500, and the log names the setting.
// Readiness is left alone: a stray direct caller says nothing about the requests the proxy brings, and a
// misconfigured proxy fails every instance alike, where a load balancer emptied of them would hide this 503's reason.
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

// One warning a minute at most, with the count since the last one: a caller repeating itself cannot flood the log.
const WARN_EVERY_MS = 60_000;

export function guardPlainHttp(app: FastifyInstance, deps: { issuer: string; pages: Pages; logger: Logger; now: () => Date }): void {
  if (!deps.issuer.startsWith('https:')) return;
  let lastWarning: number | undefined;
  let refusedSince = 0;
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https' || PROBES.has(request.url.split('?')[0]!)) return;
    refusedSince += 1;
    const at = deps.now().getTime();
    if (lastWarning === undefined || at - lastWarning >= WARN_EVERY_MS) {
      deps.logger.warn({ setting: 'TRUST_PROXY', header: 'X-Forwarded-Proto', refused: refusedSince }, PLAIN_HTTP_REASON);
      lastWarning = at;
      refusedSince = 0;
    }
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
}
