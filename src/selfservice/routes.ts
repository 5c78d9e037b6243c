// The citizen's own page (/account): which services hold a grant, what each received and when, and revoking one.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ClientMetadata } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { fullName } from '../accounts/accounts.ts';
import type { AccountServices } from '../accounts/services.ts';
import { recordAudit } from '../audit/audit.ts';
import { claimLabels, translator, type Language } from '../interactions/i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from '../interactions/language.ts';
import { CATALOGUE } from '../oidc/claims.ts';
import { disclosuresFor } from '../oidc/disclosures.ts';
import { grantsOf } from '../oidc/grants.ts';
import { FIRST_PARTY_CLIENT } from '../oidc/provider.ts';
import { sessionAccountId } from '../oidc/session.ts';
import type { SharingEntry } from '../sharing/sharings.ts';
import { deviceList, deviceNotice, deviceRoutes } from './device-routes.ts';
import { ACCOUNT_PASSWORD_PATH, accountPasswordRoutes } from './password-routes.ts';

export const ACCOUNT_CLIENT_ID = FIRST_PARTY_CLIENT;

/** The first-party client the account page signs in with: public, no tokens, no consent asked. */
export function accountClient(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Tài khoản định danh điện tử',
    redirect_uris: [`${issuer}/account/callback`],
    response_types: ['none'],
    grant_types: [],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
    profile: 'first_party',
  };
}

export interface SelfServiceDeps {
  provider: Provider;
  services: AccountServices;
  issuer: string;
  secureCookies: boolean;
  /** Ends the grants the citizen gave one service and tells that service (back-channel logout); how many there were. */
  revokeClient(accountId: string, clientId: string): Promise<number>;
  /** Form posts per minute from one network address (the password change, like the sign-in forms). */
  signInRatePerMinute: number;
  /** The citizen's sharings by QR at counters, newest first (src/sharing/). */
  sharings?(accountId: string): Promise<SharingEntry[]>;
}

export async function selfServiceRoutes(app: FastifyInstance, deps: SelfServiceDeps) {
  const { provider, services } = deps;
  const db = services.registration.db;
  const cookieOptions = { path: '/account', sameSite: 'lax' as const, httpOnly: true, secure: deps.secureCookies };

  const languageOf = (request: FastifyRequest<{ Querystring: { lang?: string } }>): Language =>
    chooseLanguage({ query: request.query.lang, cookie: request.cookies[LANGUAGE_COOKIE] });

  /**
   * Not signed in: sign in at the provider as the first-party account client. response_type=none: the only
   * outcome wanted is the provider's browser session, which this page then reads; nothing is issued.
   */
  function signIn(reply: FastifyReply, lang: Language) {
    const url = new URL(`${deps.issuer}/auth`);
    url.search = new URLSearchParams({ client_id: ACCOUNT_CLIENT_ID, response_type: 'none', scope: 'openid', redirect_uri: `${deps.issuer}/account/callback`, state: randomBytes(16).toString('base64url'), ui_locales: lang }).toString();
    return reply.redirect(url.toString(), 303);
  }

  app.get<{ Querystring: { lang?: string } }>('/account', async (request, reply) => {
    const lang = languageOf(request);
    if (request.query.lang === lang) reply.setCookie(LANGUAGE_COOKIE, lang, { ...cookieOptions, path: '/', maxAge: 365 * 24 * 3600 });
    const accountId = await sessionAccountId(provider, request.raw, reply.raw);
    const account = accountId ? await services.accounts.findById(accountId) : undefined;
    if (!account || account.status !== 'active') return signIn(reply, lang);

    const t = translator(lang);
    const disclosures = new Map((await disclosuresFor(db, account.id)).map((d) => [d.clientId, d]));
    const grants = (await grantsOf(db, account.id)).filter((g) => g.clientId !== ACCOUNT_CLIENT_ID);
    // Every service that holds a grant, then every one that received data and holds none any more (revoked, or
    // its grant ran out): what went to whom and when stays on the page after a revocation.
    const clientIds = [...new Set([...grants.map((g) => g.clientId), ...disclosures.keys()])].filter((id) => id !== ACCOUNT_CLIENT_ID);
    const servicesList = await Promise.all(
      clientIds.map(async (clientId) => {
        const client = await provider.Client.find(clientId);
        const held = grants.filter((g) => g.clientId === clientId);
        const scopes = [...new Set(held.flatMap((g) => g.scopes))];
        const granted = scopes.flatMap((scope) => [...(CATALOGUE[scope as keyof typeof CATALOGUE]?.claims ?? [])]);
        const received = disclosures.get(clientId);
        const name = client?.clientName ?? clientId;
        return {
          clientId,
          name,
          active: held.length > 0,
          granted: claimLabels(granted, t),
          received: received ? claimLabels(received.claims, t) : [],
          lastAt: received ? received.lastAt.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' }) : null,
          revokeAction: `/account/services/${encodeURIComponent(clientId)}/revoke`,
        };
      }),
    );
    const when = (date: Date) => date.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' });
    const sharings = (await deps.sharings?.(account.id) ?? []).map((s) => ({
      attributes: claimLabels(s.claims, t),
      created: t('account.sharing.created', { at: when(s.createdAt) }),
      presented: s.presentedAt ? t('account.sharing.presented', { at: when(s.presentedAt), claims: claimLabels(s.presentedClaims ?? [], t).join(', ') }) : t('account.sharing.not_presented'),
    }));
    reply.header('cache-control', 'no-store');
    return reply.view('account', {
      sharings,
      lang,
      t,
      title: t('account.title'),
      switchUrl: switchUrl(request.url, lang),
      name: fullName(account),
      level: account.level,
      services: servicesList,
      devices: await deviceList(db, account.id, lang, t),
      passwordUrl: ACCOUNT_PASSWORD_PATH,
      notice: (request.query as { revoked?: string }).revoked ? t('account.revoked') : deviceNotice(request.query, t),
      csrf: await reply.generateCsrf(),
    });
  });

  deviceRoutes(app, { provider, db, now: services.now });
  accountPasswordRoutes(app, { provider, services, languageOf, ratePerMinute: deps.signInRatePerMinute });

  // Back from signing in (or from a cancelled sign-in): the page itself knows which it was.
  app.get('/account/callback', async (_request, reply) => reply.redirect('/account', 303));

  app.post<{ Params: { clientId: string } }>('/account/services/:clientId/revoke', { preHandler: app.csrfProtection }, async (request, reply) => {
    const accountId = await sessionAccountId(provider, request.raw, reply.raw);
    if (!accountId) return reply.redirect('/account', 303);
    const revoked = await deps.revokeClient(accountId, request.params.clientId);
    if (revoked) {
      await recordAudit(db, { actor: { type: 'citizen', id: accountId }, action: 'grant.revoked', subject: { type: 'account', id: accountId }, detail: { client: request.params.clientId }, ip: request.ip, at: services.now() });
    }
    return reply.redirect('/account?revoked=1', 303);
  });
}
