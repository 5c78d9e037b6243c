// buildApp(deps): Fastify with our plugins, the provider mounted inside, and every route. No globals: deps come in.
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyView from '@fastify/view';
import { readFile } from 'node:fs/promises';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { background, type Background } from './background.ts';
import { CLIENT_CHANGES } from './clients/changes.ts';
import { reachEveryInstance as reachInstances, subscribe, type Subscription } from './db/notifications.ts';
import { ACCOUNT_CHANGES, cachedAccounts } from './accounts/account-cache.ts';
import { accountServices, type AccountServices } from './accounts/services.ts';
import { adminRoutes } from './admin/routes.ts';
import { appApi } from './devices/routes.ts';
import { canBeAsked, cibaAppRoutes } from './devices/ciba-routes.ts';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { isDatabaseUnavailable } from './db/unavailable.ts';
import { healthRoutes } from './health.ts';
import { requestChildLogger } from './logger.ts';
import { startBackgroundJobs } from './jobs.ts';
import { isAccountPage, wantsHtml } from './http/audience.ts';
import { guardPlainHttp } from './http/plain-http-guard.ts';
import { rateLimitStore } from './http/rate-limits.ts';
import { securityHeaders } from './http/security-headers.ts';
import { fastifyTrustProxy, showProviderTheTrustedView } from './http/trust-proxy.ts';
import { translator, type Language } from './interactions/i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from './interactions/language.ts';
import { createPages, VIEWS_DIR, type Pages } from './interactions/pages.ts';
import { interactionRoutes } from './interactions/routes.ts';
import { refuseUnacceptableInput } from './http/input-guard.ts';
import { instruments } from './observability/instruments.ts';
import { metricsPlugin } from './observability/plugin.ts';
import { recordDisclosures } from './oidc/disclosures.ts';
import { explainGrantErrors } from './oidc/grant-errors.ts';
import { backchannelLogout } from './oidc/backchannel-logout.ts';
import { answerProviderOutages, RETRY_AFTER, UNAVAILABLE_JSON, UNAVAILABLE_STATUS, unavailablePage } from './outage.ts';
import { accountClient, selfServiceRoutes } from './selfservice/routes.ts';
import { operatorRoutes } from './operator/routes.ts';
import { clientMetadataValidator } from './oidc/client-internals.ts';
import { newClientRules } from './oidc/bank-profile.ts';
import { followSigningKeys, type KeyFollower } from './oidc/key-follower.ts';
import { loadOrCreateKeys } from './oidc/keys.ts';
import { providerRoutes } from './oidc/mount.ts';
import { createProvider, type ProviderDeps, type ProviderPages } from './oidc/provider.ts';
import { relyingPartiesQueries, type RelyingParties } from './oidc/relying-parties.ts';
import { withRequestMemo } from './oidc/request-memo.ts';
import { writeOncePerRequest } from './oidc/request-writes.ts';
import { sectorRoutes } from './oidc/sectors.ts';
import { sessionAccountId } from './oidc/session.ts';
import { sandboxRoutes } from './sandbox/routes.ts';
import { qrSignIn } from './devices/qr-sign-in/assemble.ts';
import { appSimulatorQrRoutes } from './sandbox/app-simulator-qr.ts';
import { simulatedDevice } from './sandbox/simulated-devices.ts';
import { sharingService } from './sharing/service.ts';
import { verifyRoutes } from './sharing/verify-routes.ts';
import { sharingAppRoutes } from './sharing/app-routes.ts';
import { appSimulatorSharing } from './sandbox/app-simulator-sharing.ts';
import { appSimulatorRoutes } from './sandbox/app-simulator.ts';
import { cibaSimulatorRoutes } from './sandbox/app-simulator-ciba.ts';

export interface AppDeps {
  config: Config;
  database: Database;
  logger: Logger;
  /** Token lifetimes, for tests that need short ones. */
  ttl?: ProviderDeps['ttl'];
  /** The time for lockouts, codes and ages; tests pass a clock they move. */
  clock?: () => Date;
}

export interface App {
  app: FastifyInstance;
  provider: Provider;
  services: AccountServices;
  relyingParties: RelyingParties;
  background: Background;
  signingKeys: KeyFollower;
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const { config, database, logger } = deps;
  // Measured from the first query on (src/observability/): the app reaches the database only through this.
  const measure = instruments({ database, logger });
  const db = measure.observeQueries(database.db);
  const production = config.env === 'production';
  const secureCookies = config.issuer.startsWith('https:');

  const now = deps.clock ?? (() => new Date());
  const keys = await loadOrCreateKeys(db, now());
  const work = background(logger);
  // Ending an account's sessions tells its relying parties (back-channel logout) through the provider, attached below.
  const logouts = backchannelLogout({ db, background: work, logger });
  const services = accountServices(db, config, { secret: keys.cookie[0]!, now, endSessions: logouts.endAccountSessions, observePasswords: measure.observePasswords });
  // Clients are cached per instance and dropped on every change any instance announces (src/clients/changes.ts);
  // the provider's reads of an account by id likewise, dropped by the database's own notices. One connection hears both.
  let notices: Subscription | undefined;
  const live = () => notices?.live() ?? false;
  const relyingParties = relyingPartiesQueries(db, { live });
  const providerAccounts = cachedAccounts(services.accounts, live);
  notices = await subscribe(
    database,
    { [CLIENT_CHANGES]: (clientId) => relyingParties.changed(clientId), [ACCOUNT_CHANGES]: (accountId) => providerAccounts.changed(accountId) },
    () => (relyingParties.reset(), providerAccounts.reset()),
    logger,
  );
  const reachEveryInstance = () => reachInstances(database);
  const pages = createPages();
  const protocolPages = providerPages(pages);

  const provider = createProvider({
    issuer: config.issuer,
    db,
    keys,
    accounts: providerAccounts,
    relyingParties,
    pages: protocolPages,
    // The provider believes X-Forwarded-* only as rewritten by showProviderTheTrustedView below, which every
    // request passes (with or without TRUST_PROXY), so that its URLs are on the issuer's host.
    trustProxy: true,
    allowPrivateNetworks: config.outbound.allowPrivateNetworks,
    ...(config.outbound.extraCaFile ? { outboundExtraCa: await readFile(config.outbound.extraCaFile, 'utf8') } : {}),
    // CIBA asks the citizen's app: only an account with a bound device can answer (src/oidc/ciba.ts).
    ciba: { ...config.ciba, now, hasDevice: canBeAsked(db) },
    // Self-service registration creates sandbox clients: only while the sandbox is on (never in production).
    sandboxRegistration: config.sandbox.seed,
    httpsRedirectsOnly: config.env === 'production',
    ...(deps.ttl ? { ttl: deps.ttl } : {}),
  });
  // Rotated signing keys reach this instance without a restart (src/oidc/key-follower.ts).
  const signingKeys = followSigningKeys({ db, provider, initial: keys.signing, now, reloadSeconds: config.keys.reloadSeconds, logger });
  logouts.attach(provider);
  measure.observeProvider(provider);
  recordDisclosures(provider, db, logger, now);
  explainGrantErrors(provider);
  // Provider errors are answered to the caller; log them without request data (a database outage is logged,
  // as a warning, where it becomes a 503).
  provider.on('server_error', (_ctx, error) => {
    if (!isDatabaseUnavailable(error)) logger.error({ err: error }, 'provider server error');
  });
  // Each protocol request writes what it changed in one call, before it answers (src/oidc/request-writes.ts).
  writeOncePerRequest(provider, protocolPages.error);
  // A database outage on the provider's own routes is a 503 with Retry-After, not its 500 (src/outage.ts).
  answerProviderOutages(provider, pages, logger);

  const app = Fastify({
    loggerInstance: logger,
    trustProxy: fastifyTrustProxy(config.trustProxy),
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // One line per request (below) instead of Fastify's two: half the logging work on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (parent, bindings, options) => requestChildLogger(parent as Logger, bindings, options),
  });
  app.addHook('onClose', () => notices.close());
  // Each request reads an interaction or session once, however often the provider asks (src/oidc/request-memo.ts).
  app.addHook('onRequest', (request, _reply, done) => withRequestMemo(done, request.url));
  // Written when the request ends: what was asked (URL masked by the logger), how it ended, how long it took.
  // Without the redaction pass, which cost more than the rest of the line: every field here is one of the
  // logger's own serializers' (src/logger.ts), which keep only safe parts.
  const requestLine = logger.child({}, { redact: [] });
  app.addHook('onResponse', async (request, reply) => {
    requestLine.info({ reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
  // First, so that its request counting sees every route registered after it.
  await app.register(metricsPlugin, { metrics: measure.metrics, token: config.metrics.token, production });

  const root = app as unknown as FastifyInstance;
  securityHeaders(root, { secureCookies });
  await app.register(fastifyCookie, { secret: keys.cookie });
  // The guard reads the protocol as the proxy reported it, before the provider's view is rewritten.
  guardPlainHttp(root, { issuer: config.issuer, pages, logger, now });
  showProviderTheTrustedView(root, config.issuer);
  // Per-address limits only where a route asks for them (sign-in forms, officer sign-in): lockout stops
  // guessing one ID number, this stops one address from trying many. Counted where all instances share them.
  const limits = await rateLimitStore({ redis: config.redis, db, logger, now });
  app.addHook('onClose', () => limits.close());
  await app.register(fastifyRateLimit, { global: false, store: limits.store });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: '_csrf',
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: secureCookies, signed: true },
  });
  await app.register(fastifyView, { engine: { eta: pages.eta }, root: VIEWS_DIR, production: true });

  app.setErrorHandler(errorHandler(pages));
  app.setNotFoundHandler(async (request, reply) => {
    if (!wantsHtml(request)) return reply.code(404).send({ error: 'not_found', error_description: `no route ${request.method} ${request.url.split('?')[0]}` });
    const lang = chooseLanguage({ query: (request.query as { lang?: string }).lang, cookie: request.cookies[LANGUAGE_COOKIE] });
    return reply.code(404).type('text/html').send(await pages.message(lang, { heading: 'error.title', message: 'error.not_found' }));
  });

  // NUL, control characters and unpaired surrogates are refused before any route or query sees them.
  app.addHook('preValidation', refuseUnacceptableInput);
  await app.register(healthRoutes, { db });
  await app.register(providerRoutes, { provider, errorPage: protocolPages.error });
  // Work started by requests finishes before the database closes.
  app.addHook('onClose', () => work.idle());
  app.addHook('onClose', () => signingKeys.stop());
  // Sign-in with the e-ID app by QR code: the sign-in page's part, the app API's, the simulator's panel.
  const qr = qrSignIn({ db, provider, accounts: services.accounts, issuer: config.issuer, now });
  await app.register(interactionRoutes, { provider, services: { ...services, accounts: providerAccounts }, secureCookies, signInRatePerMinute: config.signInRatePerMinute, background: work, signIns: measure.signIns, qrSignIn: qr.pages });
  await app.register(adminRoutes, { services, sessionSeconds: config.officerSessionSeconds, lockout: config.lockout, issuer: config.issuer, checkResponses: !production, reachEveryInstance });
  await app.register(operatorRoutes, { db, now, validateMetadata: clientMetadataValidator(provider, newClientRules({ httpsRedirectsOnly: production })), issuer: config.issuer, checkResponses: !production, reachEveryInstance });
  // Sharing attributes at a counter by QR (src/sharing/): issued to the app, verified at /verify.
  const sharing = sharingService({ db, issuer: config.issuer, accounts: services.accounts, now });
  await app.register(verifyRoutes, { sharing });
  await app.register(selfServiceRoutes, { provider, services, issuer: config.issuer, secureCookies, signInRatePerMinute: config.signInRatePerMinute, revokeClient: logouts.revokeClient, sharings: sharing.history });
  await relyingParties.save(accountClient(config.issuer));
  // The e-ID app's API (/app): device enrolment and device-signed requests; other app features extend its scope.
  await app.register(appApi, { services, issuer: config.issuer, checkResponses: !production, signInRatePerMinute: config.signInRatePerMinute, extensions: [
    qr.appApi,
    sharingAppRoutes({ sharing }),
    cibaAppRoutes({ db, provider, now, logger }),
  ] });
  await app.register(sectorRoutes, { issuer: config.issuer, relyingParties });
  if (config.sandbox.seed) {
    await app.register(sandboxRoutes, { db, provider, now, client: { ...config.sandbox, issuer: config.issuer } });
    await app.register(appSimulatorRoutes, { db, issuer: config.issuer, now });
    await app.register(cibaSimulatorRoutes, { db, issuer: config.issuer, now });
    await app.register(appSimulatorQrRoutes, { requests: qr.requests, issuer: config.issuer, device: (id) => simulatedDevice({ db, app: root, issuer: config.issuer, now }, id) });
    await app.register(appSimulatorSharing, { db, issuer: config.issuer, now });
  }

  // Purges and SMS delivery, once per database (src/jobs.ts).
  const stopJobs = startBackgroundJobs(database, config, logger, now);
  app.addHook('onClose', stopJobs);

  return { app: app as unknown as FastifyInstance, provider, services, relyingParties, background: work, signingKeys };
}

function errorHandler(pages: Pages) {
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    // The database is restarting or unreachable: say so and when to retry, without the request's data.
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ code: error.code, message: error.message }, 'database unavailable: answered 503');
      reply.code(UNAVAILABLE_STATUS).header('retry-after', RETRY_AFTER).header('cache-control', 'no-store');
      if (!wantsHtml(request)) return reply.send(UNAVAILABLE_JSON);
      const lang = chooseLanguage({ query: (request.query as { lang?: unknown } | undefined)?.lang, cookie: request.cookies?.[LANGUAGE_COOKIE] });
      const retryUrl = request.url.match(/^\/interaction\/[\w-]+/)?.[0] ?? (request.method === 'GET' ? request.url : undefined);
      return reply.type('text/html').send(await unavailablePage(pages, lang, retryUrl));
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500 && error.code !== '23505') request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: error.code, status }, 'request rejected');
    const csrf = error.code?.startsWith('FST_CSRF') ?? false;
    // Two writers raced for the same unique thing (an account, a dependent): the loser is told, not crashed.
    if (error.code === '23505') {
      return reply.code(409).send({ error: 'conflict', error_description: 'the change conflicts with one made at the same time; reload and try again' });
    }
    if (!wantsHtml(request)) {
      return reply.code(status).send({
        error: status >= 500 ? 'server_error' : 'invalid_request',
        error_description: status >= 500 ? 'an unexpected error occurred' : error.message,
      });
    }
    const lang = chooseLanguage({ cookie: request.cookies?.[LANGUAGE_COOKIE] });
    // A form on /account that failed (its CSRF token outlived by a browser restart, say): back to the page, fresh.
    const retryUrl = request.url.match(/^\/interaction\/[\w-]+/)?.[0] ?? (isAccountPage(request.url) ? '/account' : undefined);
    return reply
      .code(status)
      .type('text/html')
      .send(await pages.message(lang, { heading: 'error.title', message: csrf ? 'error.csrf' : status === 429 ? 'error.rate_limited' : 'error.body', ...(retryUrl ? { retryUrl } : {}) }));
  };
}

function providerPages(pages: Pages): ProviderPages {
  type Ctx = Parameters<ProviderPages['error']>[0];
  const languageOf = (ctx: Ctx) =>
    chooseLanguage({ query: ctx.query.lang, cookie: ctx.cookies.get(LANGUAGE_COOKIE, { signed: false }), uiLocales: ctx.oidc?.params?.ui_locales });
  // The provider ignores parameters it does not know, so `lang` can ride along on its own GET pages too.
  const switchFor = (ctx: Ctx, lang: Language) => (ctx.method === 'GET' ? switchUrl(ctx.originalUrl, lang) : undefined);
  return {
    error: async (ctx, out) => {
      const lang = languageOf(ctx);
      const t = translator(lang);
      // Sign-out asked with a return address the client never registered: nothing ended; offer the plain sign-out.
      const logoutRefused = ctx.oidc?.route === 'end_session' && (out.error_description ?? '').includes('post_logout_redirect_uri');
      return pages.render('message', {
        lang,
        title: t('error.title'),
        heading: t(logoutRefused ? 'logout.title' : 'error.title'),
        message: t(logoutRefused ? 'logout.refused' : 'error.body'),
        ...(logoutRefused ? { signOutUrl: ctx.oidc.urlFor('end_session') } : {}),
        code: out.error,
        // The protocol's own words, for the relying party's developer the citizen may forward this to.
        detail: out.error_description,
        switchUrl: switchFor(ctx, lang),
      });
    },
    logout: async (ctx, form) => {
      const lang = languageOf(ctx);
      return pages.render('logout', { lang, title: translator(lang)('logout.title'), form, switchUrl: switchFor(ctx, lang) });
    },
    loggedOut: async (ctx) => {
      const lang = languageOf(ctx);
      // "Ở lại" (stay) on the confirmation page lands here too, the browser still signed in: the page says which.
      const stillSignedIn = Boolean(await sessionAccountId(ctx.oidc.provider, ctx.req, ctx.res));
      return pages.message(lang, {
        heading: 'logout.title',
        message: stillSignedIn ? 'logout.stayed' : 'logout.done',
        ...(stillSignedIn ? { link: { href: '/account', text: 'logout.to_account' } } : {}),
        ...(ctx.method === 'GET' ? { switchUrl: switchUrl(ctx.originalUrl, lang) } : {}),
      });
    },
  };
}
