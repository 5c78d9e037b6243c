// Sign-in and consent: Fastify routes over views/, driving oidc-provider's interaction API.
import { SIGN_IN_FORMS } from '../http/rate-limit-store.ts';
import { finished } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type Provider from 'oidc-provider';
import { fullName } from '../accounts/accounts.ts';
import { authenticate } from '../accounts/authenticate.ts';
import type { AccountServices } from '../accounts/services.ts';
import { CATALOGUE } from '../oidc/claims.ts';
import { approvedLevel, levelOfAcr, type Level } from '../oidc/levels.ts';
import { GrantWithdrawn } from '../oidc/grants.ts';
import { INTERACTION_PATH } from '../oidc/provider.ts';
import { holdWrites } from '../oidc/request-memo.ts';
import { field, interactionFlow, PENDING, type Details, type UidRequest } from './flow.ts';
import { consentLists } from './consent-items.ts';
import { translator, type Language, type MessageKey } from './i18n.ts';
import type { Background } from '../background.ts';
import { passwordFingerprint, passwordRoutes } from './password-routes.ts';
import { qrSignInPages, type QrSignInDeps } from './qr-routes.ts';
import { secondFactorRoutes } from './second-factor-routes.ts';
import type { SignInObserver } from './sign-in-outcome.ts';

export interface InteractionDeps {
  provider: Provider;
  services: AccountServices;
  secureCookies: boolean;
  /** Form posts per minute from one network address. */
  signInRatePerMinute: number;
  /** Where work runs that an answer must not wait for (see background.ts). */
  background: Background;
  /** Whether a personal ID is a sandbox citizen: a 'sandbox'-profile client signs in no one else. */
  /** Told how each sign-in attempt ended (the metrics count them). */
  signIns?: SignInObserver;
  /** Sign-in with the e-ID app by QR code (src/devices/qr-sign-in/); without it the sign-in page shows no code. */
  qrSignIn?: QrSignInDeps;
}

const NOTICES: Record<string, MessageKey> = { password_reset: 'login.notice.password_reset' };

export async function interactionRoutes(app: FastifyInstance, deps: InteractionDeps) {
  const { provider, services } = deps;
  const flow = interactionFlow(provider, { secureCookies: deps.secureCookies, secondFactor: services.secondFactor, signIns: deps.signIns });
  const limited = { rateLimit: { max: deps.signInRatePerMinute, timeWindow: 60_000, groupId: SIGN_IN_FORMS } };
  const qr = deps.qrSignIn ? qrSignInPages(provider, flow, services, deps.qrSignIn) : undefined;

  async function showLogin(
    request: UidRequest,
    reply: FastifyReply,
    details: Details,
    lang: Language,
    extra: { error?: string; username?: string; status?: number; errorField?: 'username' | 'password' } = {},
  ) {
    // Own keys only: ?notice=toString must not find Object.prototype's.
    const asked = request.query.notice;
    const notice = typeof asked === 'string' && Object.hasOwn(NOTICES, asked) ? NOTICES[asked] : undefined;
    return reply.code(extra.status ?? 200).view('login', flow.page(lang, request, 'login.title', {
      clientName: await flow.clientName(details, lang),
      action: `${INTERACTION_PATH}/${details.uid}/login`,
      // The account page has no service to go back to: cancelling would only start its sign-in again.
      abortUrl: flow.isFirstParty(details) ? undefined : `${INTERACTION_PATH}/${details.uid}/abort`,
      resetUrl: `${INTERACTION_PATH}/${details.uid}/reset`,
      csrf: await reply.generateCsrf(),
      error: extra.error,
      // The field the error is about (aria-invalid, described by the error): the password unless the number is.
      errorField: extra.errorField ?? 'password',
      notice: notice ? translator(lang)(notice) : undefined,
      username: extra.username,
      qr: await qr?.block(request, reply, details, lang),
    }));
  }

  async function showConsent(request: UidRequest, reply: FastifyReply, details: Details, lang: Language) {
    const t = translator(lang);
    const prompt = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    // Only what this request adds to what the citizen already granted this service.
    const scopes = prompt.missingOIDCScope ?? [];
    const claims = new Set<string>(prompt.missingOIDCClaims ?? []);
    for (const scope of scopes) {
      for (const claim of CATALOGUE[scope as keyof typeof CATALOGUE]?.claims ?? []) claims.add(claim);
    }
    const account = await services.accounts.findById(String(details.session?.accountId));
    const client = await provider.Client.find(String(details.params.client_id));
    // What this sign-in would release, at the level it reached: level-2 items at level 1, and data the record does
    // not hold, are said to be so, not listed as if they went out.
    const lists = await consentLists(services.registration.db, account, {
      claims,
      level: Math.min(levelOfAcr(details.session?.acr) ?? 1, approvedLevel(client)) as Level,
      approvedScopes: new Set((client?.scope ?? 'openid').split(' ')),
      tokenScopes: new Set(String(details.params.scope ?? '').split(' ')),
    }, t);
    const basic = lists.basic;
    if (scopes.includes('offline_access')) basic.push(t('claim.offline_access'));
    // A public-service client registered for notice informs instead of asking (consent_mode "notice").
    const metadata = client?.metadata();
    const notice = metadata?.consent_mode === 'notice';
    return reply.view(notice ? 'notice' : 'consent', flow.page(lang, request, 'consent.title', {
      clientName: await flow.clientName(details, lang),
      // Who is asking, as the registry approved it: the citizen sees the organisation behind the service.
      organisation: metadata?.organisation_name ? { name: metadata.organisation_name, domain: metadata.organisation_domain, logoUri: metadata.logo_uri } : undefined,
      accountName: account ? fullName(account) : '',
      claims: basic,
      verifiedClaims: lists.verified,
      laterClaims: lists.later,
      // A level-1 account reaches those items only once upgraded at a police office: said so, not "next time".
      accountLevel: account?.level,
      absentClaims: lists.absent,
      action: `${INTERACTION_PATH}/${details.uid}/consent`,
      abortUrl: `${INTERACTION_PATH}/${details.uid}/abort`,
      csrf: await reply.generateCsrf(),
    }));
  }

  app.get<{ Params: { uid: string }; Querystring: { lang?: string; notice?: string } }>(`${INTERACTION_PATH}/:uid`, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    const { details, lang } = loaded;
    if (details.prompt.name === 'login') {
      // Step-up: signed in with a password in this session, and only the level is missing. The password is
      // not asked again; a re-authentication (prompt=login, max_age, another account) starts from it.
      const accountId = details.session?.accountId;
      if (accountId && details.prompt.reasons.every((reason) => reason === 'acr_level')) {
        const account = await services.accounts.findById(accountId);
        if (account?.status === 'active') return flow.completeLogin(request, reply, details, account);
      }
      return showLogin(request, reply, details, lang);
    }
    if (details.prompt.name === 'consent') return showConsent(request, reply, details, lang);
    return flow.finish(request, reply, { error: 'invalid_request', error_description: `unsupported prompt ${details.prompt.name}` });
  });

  app.post<{ Params: { uid: string }; Querystring: { lang?: string } }>(
    `${INTERACTION_PATH}/:uid/login`,
    { preHandler: app.csrfProtection, config: limited },
    async (request, reply) => {
      const loaded = await flow.load(request, reply);
      if (!loaded) return reply;
      const { details, lang } = loaded;
      const t = translator(lang);
      if (details.prompt.name !== 'login') return reply.redirect(`${INTERACTION_PATH}/${details.uid}`, 303);
      const username = field(request.body, 'username').trim().slice(0, 64);
      const password = field(request.body, 'password').slice(0, 1024);
      if (!username || !password) {
        flow.signInEnded(details, 'missing_fields');
        return showLogin(request, reply, details, lang, { error: t('login.error.missing'), username, status: 400, errorField: username ? 'password' : 'username' });
      }

      const outcome = await authenticate(services.authentication, { personalId: username, password });
      if (!outcome.ok) {
        // Security event without the number typed: the reason, and the account only once the password proved it.
        request.log.info({ event: 'sign_in.failed', reason: outcome.reason, ...('account' in outcome ? { account: outcome.account.id } : {}) }, 'citizen sign-in refused');
        flow.signInEnded(details, outcome.reason);
        // The audit trail of an account whose password was wrong, written once the answer is out: an extra write
        // only for numbers with an account would make their answers measurably slower.
        const failedAccount = 'accountId' in outcome ? outcome.accountId : undefined;
        if (failedAccount) {
          deps.background.run('sign-in failure audit', async () => {
            await finished(reply.raw).catch(() => {});
            await services.lifecycle.recordSignInFailure(failedAccount, { ip: request.ip });
          });
        }
        switch (outcome.reason) {
          case 'malformed_id':
            return showLogin(request, reply, details, lang, { error: t('login.error.malformed_id'), username, status: 400, errorField: 'username' });
          case 'invalid_credentials':
            return showLogin(request, reply, details, lang, { error: t('login.error.invalid_credentials'), username, status: 401 });
          case 'throttled': {
            const minutes = String(Math.max(1, Math.ceil((outcome.until.getTime() - services.now().getTime()) / 60_000)));
            reply.header('retry-after', String(Math.ceil((outcome.until.getTime() - services.now().getTime()) / 1000)));
            return showLogin(request, reply, details, lang, { error: t('login.error.throttled', { minutes }), username, status: 429 });
          }
          case 'locked':
          case 'revoked':
            return showLogin(request, reply, details, lang, { error: t(`login.error.${outcome.reason}`), username, status: 403 });
        }
      }
      // Said plainly, once the password proved who this is: a sandbox client is not for this citizen.
      const client = await provider.Client.find(String(details.params.client_id));
      if (client?.['profile'] === 'sandbox' && !outcome.account.sandbox) {
        request.log.info({ event: 'sign_in.failed', reason: 'not_sandbox_citizen', account: outcome.account.id }, 'citizen sign-in refused');
        flow.signInEnded(details, 'not_sandbox_citizen');
        return showLogin(request, reply, details, lang, { error: t('login.error.sandbox_only'), username, status: 403 });
      }
      if (outcome.account.passwordMustChange) {
        // The first password came by SMS: nothing else happens until the citizen chooses their own.
        flow.setPending(reply, PENDING.passwordChange, details.uid, `${outcome.account.id}~${passwordFingerprint(outcome.account.passwordHash)}`);
        return reply.redirect(`${INTERACTION_PATH}/${details.uid}/password`, 303);
      }
      return flow.completeLogin(request, reply, details, outcome.account);
    },
  );

  app.post<{ Params: { uid: string }; Querystring: { lang?: string } }>(
    `${INTERACTION_PATH}/:uid/consent`,
    { preHandler: app.csrfProtection },
    async (request, reply) => {
      const loaded = await flow.load(request, reply);
      if (!loaded) return reply;
      const { details } = loaded;
      if (details.prompt.name !== 'consent') return reply.redirect(`${INTERACTION_PATH}/${details.uid}`, 303);
      if (field(request.body, 'decision') !== 'approve') {
        return flow.finish(request, reply, { error: 'access_denied', error_description: 'the citizen declined to share the requested information' });
      }
      const { prompt, params, session, grantId } = details;
      // The grant and the interaction's result are written together, when the flow finishes (flow.finish).
      holdWrites();
      const missing = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      // What this page asked for, added to what the service holds already (or to a grant of its own).
      const consent = (grant: InstanceType<typeof provider.Grant>) => {
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
        return grant.save();
      };
      const anew = () => new provider.Grant({ accountId: String(session?.accountId), clientId: String(params.client_id) });
      const existing = grantId ? await provider.Grant.find(grantId) : undefined;
      let saved: string;
      try {
        saved = await consent(existing ?? anew());
      } catch (error) {
        if (!(error instanceof GrantWithdrawn)) throw error;
        saved = await consent(anew());
      }
      // A grant withdrawn since this page was shown stays withdrawn: the new one holds only what this page asked, and
      // the provider asks again for the rest.
      return flow.finish(request, reply, { consent: { grantId: saved } });
    },
  );

  app.get<{ Params: { uid: string }; Querystring: { lang?: string; reason?: string } }>(`${INTERACTION_PATH}/:uid/abort`, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    if (request.query.reason === 'level') {
      return flow.finish(request, reply, {
        error: 'unmet_authentication_requirements',
        error_description: 'the account cannot reach the requested assurance level (urn:vn:eid:loa:2 needs a level 2 account)',
      });
    }
    if (request.query.reason === 'codes') {
      return flow.finish(request, reply, {
        error: 'unmet_authentication_requirements',
        error_description: 'the account has used its SMS codes for today; urn:vn:eid:loa:2 cannot be reached now',
      });
    }
    return flow.finish(request, reply, { error: 'access_denied', error_description: 'the citizen cancelled the sign-in' });
  });

  await app.register(passwordRoutes, { flow, services, limited, background: deps.background });
  await app.register(secondFactorRoutes, { flow, services, limited });
  if (qr) await app.register(qr.routes);
}
