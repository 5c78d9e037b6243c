// Sign-in and consent: Fastify routes over views/, driving oidc-provider's interaction API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, type InteractionResults } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { Accounts } from '../accounts/accounts.ts';
import { fullName } from '../accounts/accounts.ts';
import { authenticate } from '../accounts/authenticate.ts';
import type { PasswordHasher } from '../accounts/passwords.ts';
import { acrForLevel, CATALOGUE } from '../oidc/claims.ts';
import { INTERACTION_PATH } from '../oidc/provider.ts';
import { claimLabels, translator, type Language, type MessageKey } from './i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from './language.ts';

export interface InteractionDeps {
  provider: Provider;
  accounts: Accounts;
  passwords: PasswordHasher;
  secureCookies: boolean;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
type UidRequest = FastifyRequest<{ Params: { uid: string }; Querystring: { lang?: string } }>;

const field = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

export async function interactionRoutes(app: FastifyInstance, deps: InteractionDeps) {
  const { provider } = deps;

  /** Loads the interaction behind the cookie; a missing or expired one gets the "expired" page, not an error. */
  async function load(request: UidRequest, reply: FastifyReply): Promise<{ details: Details; lang: Language } | undefined> {
    let details: Details | undefined;
    try {
      details = await provider.interactionDetails(request.raw, reply.raw);
      if (details.uid !== request.params.uid) details = undefined;
    } catch (error) {
      if (!(error instanceof errors.SessionNotFound)) throw error;
    }
    const lang = chooseLanguage({
      query: request.query.lang,
      cookie: request.cookies[LANGUAGE_COOKIE],
      uiLocales: details?.params.ui_locales,
    });
    if (request.query.lang === lang) {
      reply.setCookie(LANGUAGE_COOKIE, lang, { path: '/', sameSite: 'lax', httpOnly: true, secure: deps.secureCookies, maxAge: 365 * 24 * 3600 });
    }
    if (!details) {
      await reply.code(400).view('message', page(lang, request, 'expired.title', { heading: translator(lang)('expired.title'), message: translator(lang)('expired.body') }));
      return undefined;
    }
    return { details, lang };
  }

  function page(lang: Language, request: FastifyRequest, title: MessageKey, data: Record<string, unknown>) {
    const t = translator(lang);
    const here = request.method === 'GET' ? request.url : `${INTERACTION_PATH}/${(request.params as { uid: string }).uid}`;
    return { lang, t, title: t(title), switchUrl: switchUrl(here, lang), ...data };
  }

  async function clientName(details: Details): Promise<string> {
    const client = await provider.Client.find(String(details.params.client_id));
    return client?.clientName ?? String(details.params.client_id);
  }

  async function showLogin(request: UidRequest, reply: FastifyReply, details: Details, lang: Language, extra: { error?: MessageKey; username?: string; status?: number } = {}) {
    const t = translator(lang);
    return reply.code(extra.status ?? 200).view('login', page(lang, request, 'login.title', {
      clientName: await clientName(details),
      action: `${INTERACTION_PATH}/${details.uid}/login`,
      abortUrl: `${INTERACTION_PATH}/${details.uid}/abort`,
      csrf: await reply.generateCsrf(),
      error: extra.error ? t(extra.error) : undefined,
      username: extra.username,
    }));
  }

  async function showConsent(request: UidRequest, reply: FastifyReply, details: Details, lang: Language) {
    const t = translator(lang);
    const prompt = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    const scopes = prompt.missingOIDCScope ?? [];
    const claims = new Set<string>(prompt.missingOIDCClaims ?? []);
    for (const scope of scopes) {
      for (const claim of CATALOGUE[scope as keyof typeof CATALOGUE]?.claims ?? []) claims.add(claim);
    }
    const labels = claimLabels(claims, t);
    if (scopes.includes('offline_access')) labels.push(t('claim.offline_access'));
    const account = await deps.accounts.findById(String(details.session?.accountId));
    return reply.view('consent', page(lang, request, 'consent.title', {
      clientName: await clientName(details),
      accountName: account ? fullName(account) : '',
      claims: labels,
      action: `${INTERACTION_PATH}/${details.uid}/consent`,
      csrf: await reply.generateCsrf(),
    }));
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, result: InteractionResults) {
    const redirectTo = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
    return reply.redirect(redirectTo, 303);
  }

  app.get<{ Params: { uid: string }; Querystring: { lang?: string } }>(`${INTERACTION_PATH}/:uid`, async (request, reply) => {
    const loaded = await load(request, reply);
    if (!loaded) return reply;
    const { details, lang } = loaded;
    reply.header('cache-control', 'no-store');
    if (details.prompt.name === 'login') return showLogin(request, reply, details, lang);
    if (details.prompt.name === 'consent') return showConsent(request, reply, details, lang);
    return finish(request, reply, { error: 'invalid_request', error_description: `unsupported prompt ${details.prompt.name}` });
  });

  app.post<{ Params: { uid: string }; Querystring: { lang?: string } }>(
    `${INTERACTION_PATH}/:uid/login`,
    { preHandler: app.csrfProtection },
    async (request, reply) => {
      const loaded = await load(request, reply);
      if (!loaded) return reply;
      const { details, lang } = loaded;
      reply.header('cache-control', 'no-store');
      if (details.prompt.name !== 'login') return reply.redirect(`${INTERACTION_PATH}/${details.uid}`, 303);
      const username = field(request.body, 'username').trim().slice(0, 64);
      const password = field(request.body, 'password').slice(0, 1024);
      if (!username || !password) return showLogin(request, reply, details, lang, { error: 'login.error.missing', username, status: 400 });
      const outcome = await authenticate(deps.accounts, deps.passwords, { personalId: username, password });
      if (!outcome.ok) {
        const error = outcome.reason === 'malformed_id' ? 'login.error.malformed_id' : 'login.error.invalid_credentials';
        return showLogin(request, reply, details, lang, { error, username, status: outcome.reason === 'malformed_id' ? 400 : 401 });
      }
      request.log.info({ account: outcome.account.id, client: details.params.client_id }, 'citizen signed in');
      return finish(request, reply, {
        login: { accountId: outcome.account.id, acr: acrForLevel(outcome.account.level), amr: ['pwd'], remember: true },
      });
    },
  );

  app.post<{ Params: { uid: string }; Querystring: { lang?: string } }>(
    `${INTERACTION_PATH}/:uid/consent`,
    { preHandler: app.csrfProtection },
    async (request, reply) => {
      const loaded = await load(request, reply);
      if (!loaded) return reply;
      const { details } = loaded;
      if (details.prompt.name !== 'consent') return reply.redirect(`${INTERACTION_PATH}/${details.uid}`, 303);
      if (field(request.body, 'decision') !== 'approve') {
        return finish(request, reply, { error: 'access_denied', error_description: 'the citizen declined to share the requested information' });
      }
      const { prompt, params, session, grantId } = details;
      const grant = grantId
        ? await provider.Grant.find(grantId)
        : new provider.Grant({ accountId: String(session?.accountId), clientId: String(params.client_id) });
      if (!grant) return finish(request, reply, { error: 'access_denied', error_description: 'the grant no longer exists' });
      const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      return finish(request, reply, { consent: { grantId: await grant.save() } });
    },
  );

  app.get<{ Params: { uid: string }; Querystring: { lang?: string } }>(`${INTERACTION_PATH}/:uid/abort`, async (request, reply) => {
    const loaded = await load(request, reply);
    if (!loaded) return reply;
    return finish(request, reply, { error: 'access_denied', error_description: 'the citizen cancelled the sign-in' });
  });
}
