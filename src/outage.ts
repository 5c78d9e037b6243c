// While the database is unavailable (a restart, a failover) every caller gets 503 with Retry-After: people a
// page in their language, programs an OAuth-style JSON error. Never a 500, never a hang, never a crash.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from './db/unavailable.ts';
import type { Language } from './interactions/i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE } from './interactions/language.ts';
import type { Pages } from './interactions/pages.ts';

export const UNAVAILABLE_STATUS = 503;
export const RETRY_AFTER = String(RETRY_AFTER_SECONDS);

/** What a program reads; `temporarily_unavailable` is the OAuth code for "try again later". */
export const UNAVAILABLE_JSON = {
  error: 'temporarily_unavailable',
  error_description: `the service is briefly unavailable; retry after ${RETRY_AFTER_SECONDS} seconds`,
} as const;

export function unavailablePage(pages: Pages, lang: Language, retryUrl: string | undefined): Promise<string> {
  return pages.message(lang, { heading: 'error.unavailable_title', message: 'error.unavailable', ...(retryUrl ? { retryUrl } : {}) });
}

/**
 * oidc-provider catches errors itself and answers 500 server_error (its 'server_error' event names them); an error
 * past its handlers would get Koa's plain-text 500. This outermost provider middleware (the documented
 * provider.use extension point) turns both into 503 when the cause is the database, and leaves every other
 * answer, including the provider's own error pages, as it was. Call it before the provider is mounted.
 */
export function answerProviderOutages(provider: Provider, pages: Pages, logger: Logger) {
  const outages = new WeakMap<object, unknown>();
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: unknown) => {
    if (isDatabaseUnavailable(error)) outages.set(ctx, error);
  });
  const middleware: Parameters<Provider['use']>[0] = async (ctx, next) => {
    let thrown = false;
    try {
      await next();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      thrown = true;
      outages.set(ctx, error);
    }
    if (!outages.has(ctx)) return;
    const cause = outages.get(ctx) as { code?: unknown; message?: unknown };
    logger.warn({ route: ctx.oidc?.route, code: cause.code, message: cause.message }, 'database unavailable: provider answered 503');
    // The provider answered a person with a page (or a redirect to the relying party carrying server_error),
    // and a program with a JSON object; keep that split.
    const forPeople = thrown ? ctx.accepts('json', 'html') === 'html' : typeof ctx.body === 'string' || (ctx.status >= 300 && ctx.status < 400);
    ctx.remove('Location');
    ctx.remove('WWW-Authenticate');
    if (forPeople) {
      // The language cookie is Fastify's and unsigned; Koa would want a signature when the provider has keys.
      const lang = chooseLanguage({ query: ctx.query.lang, cookie: ctx.cookies.get(LANGUAGE_COOKIE, { signed: false }) });
      ctx.body = await unavailablePage(pages, lang, ctx.method === 'GET' ? ctx.originalUrl : undefined);
      ctx.type = 'html';
    } else {
      ctx.body = { ...UNAVAILABLE_JSON };
    }
    ctx.status = UNAVAILABLE_STATUS;
    ctx.set('Retry-After', RETRY_AFTER);
    ctx.set('Cache-Control', 'no-store');
  };
  provider.use(middleware);
  // Outermost, so it also sees errors from middlewares added before it: provider.use() inserts each one just
  // before the provider's own handling (oidc-provider lib/provider.js, use()), after earlier ones, and scope
  // trimming (src/oidc/scope-policy.ts) reads the database before it calls next().
  const at = provider.middleware.indexOf(middleware);
  if (at > 0) provider.middleware.unshift(...provider.middleware.splice(at, 1));
}
