// What every sign-in page shares: loading the interaction behind the cookie, the page's language and
// switch, and handing the result back to the provider.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type InteractionResults } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { CitizenAccount } from '../accounts/accounts.ts';
import { acrForLevel } from '../oidc/claims.ts';
import { INTERACTION_PATH } from '../oidc/provider.ts';
import { translator, type Language, type MessageKey } from './i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from './language.ts';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;
export type UidRequest = FastifyRequest<{ Params: { uid: string }; Querystring: { lang?: string; notice?: string } }>;
export interface Loaded {
  details: Details;
  lang: Language;
}

export const field = (body: unknown, name: string): string => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

export function interactionFlow(provider: Provider, options: { secureCookies: boolean }) {
  const cookieOptions = { path: '/', sameSite: 'lax' as const, httpOnly: true, secure: options.secureCookies };

  function page(lang: Language, request: FastifyRequest, title: MessageKey, data: Record<string, unknown>) {
    const t = translator(lang);
    const uid = (request.params as { uid: string }).uid;
    // After a POST the switch leads back to the interaction's page, which shows the current step.
    const here = request.method === 'GET' ? request.url : `${INTERACTION_PATH}/${uid}`;
    return { lang, t, title: t(title), switchUrl: switchUrl(here, lang), ...data };
  }

  /** Loads the interaction behind the cookie; a missing or expired one gets the "expired" page, not an error. */
  async function load(request: UidRequest, reply: FastifyReply): Promise<Loaded | undefined> {
    let details: Details | undefined;
    try {
      details = await provider.interactionDetails(request.raw, reply.raw);
      if (details.uid !== request.params.uid) details = undefined;
    } catch (error) {
      if (!(error instanceof errors.SessionNotFound)) throw error;
    }
    const lang = chooseLanguage({ query: request.query.lang, cookie: request.cookies[LANGUAGE_COOKIE], uiLocales: details?.params.ui_locales });
    if (request.query.lang === lang) reply.setCookie(LANGUAGE_COOKIE, lang, { ...cookieOptions, maxAge: 365 * 24 * 3600 });
    reply.header('cache-control', 'no-store');
    if (!details) {
      const t = translator(lang);
      await reply.code(400).view('message', page(lang, request, 'expired.title', { heading: t('expired.title'), message: t('expired.body') }));
      return undefined;
    }
    return { details, lang };
  }

  async function clientName(details: Details): Promise<string> {
    const client = await provider.Client.find(String(details.params.client_id));
    return client?.clientName ?? String(details.params.client_id);
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, result: InteractionResults) {
    const redirectTo = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
    return reply.redirect(redirectTo, 303);
  }

  /** The citizen proved the password: the provider takes over (consent, or straight back to the service). */
  function completeLogin(request: FastifyRequest, reply: FastifyReply, details: Details, account: CitizenAccount) {
    request.log.info({ account: account.id, client: details.params.client_id }, 'citizen signed in');
    return finish(request, reply, { login: { accountId: account.id, acr: acrForLevel(account.level), amr: ['pwd'], remember: true } });
  }

  return { page, load, clientName, finish, completeLogin, cookieOptions };
}

export type InteractionFlow = ReturnType<typeof interactionFlow>;
