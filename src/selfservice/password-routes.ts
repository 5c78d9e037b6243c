// Changing the password from /account: the current password, then the new one twice, under the same policy as at
// first sign-in. A wrong current password counts like a wrong one at sign-in (lockout, throttling), and the form is
// rate limited like the sign-in forms. A change ends every session of the account, this browser's too, and its
// relying parties' access, as a reset by SMS code does (accounts/lifecycle.ts setPassword): whoever knew the old
// password is out.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate } from '../accounts/authenticate.ts';
import { checkPassword } from '../accounts/password-policy.ts';
import { SIGN_IN_FORMS } from '../http/rate-limit-store.ts';
import type { AccountServices } from '../accounts/services.ts';
import type Provider from 'oidc-provider';
import { field } from '../interactions/flow.ts';
import { translator, type Language, type MessageKey } from '../interactions/i18n.ts';
import { switchUrl } from '../interactions/language.ts';
import { sessionAccountId } from '../oidc/session.ts';

export const ACCOUNT_PASSWORD_PATH = '/account/password';

type Route = { Querystring: { lang?: string; changed?: string } };

export function accountPasswordRoutes(
  app: FastifyInstance,
  deps: { provider: Provider; services: AccountServices; languageOf(request: FastifyRequest<Route>): Language; ratePerMinute: number },
) {
  const { provider, services } = deps;

  async function signedIn(request: FastifyRequest, reply: FastifyReply) {
    const accountId = await sessionAccountId(provider, request.raw, reply.raw);
    const account = accountId ? await services.accounts.findById(accountId) : undefined;
    return account?.status === 'active' ? account : undefined;
  }

  async function show(request: FastifyRequest<Route>, reply: FastifyReply, problem?: { error: string; field: 'current' | 'new' }, status = 200) {
    const lang = deps.languageOf(request);
    const t = translator(lang);
    reply.header('cache-control', 'no-store');
    return reply.code(status).view('password-change', {
      lang,
      t,
      title: t('password.title'),
      switchUrl: switchUrl(ACCOUNT_PASSWORD_PATH, lang),
      heading: t('password.heading_account'),
      explain: t('password.explain_account'),
      action: ACCOUNT_PASSWORD_PATH,
      current: true,
      backUrl: '/account',
      csrf: await reply.generateCsrf(),
      error: problem?.error,
      errorField: problem?.field,
    });
  }

  app.get<Route>(ACCOUNT_PASSWORD_PATH, async (request, reply) => {
    if (request.query.changed === '1') {
      // This browser's session ended with the change: the page says so and leads to a new sign-in.
      const lang = deps.languageOf(request);
      const t = translator(lang);
      reply.header('cache-control', 'no-store');
      return reply.view('message', {
        lang, t, title: t('password.changed_title'), switchUrl: switchUrl(request.url, lang),
        heading: t('password.changed_title'), message: t('password.changed'), link: { href: '/account', text: t('password.sign_in_again') },
      });
    }
    if (!(await signedIn(request, reply))) return reply.redirect('/account', 303);
    return show(request, reply);
  });

  app.post<Route>(ACCOUNT_PASSWORD_PATH, { preHandler: app.csrfProtection, config: { rateLimit: { max: deps.ratePerMinute, timeWindow: 60_000, groupId: SIGN_IN_FORMS } } }, async (request, reply) => {
    const account = await signedIn(request, reply);
    if (!account) return reply.redirect('/account', 303);
    const t = translator(deps.languageOf(request));
    const current = field(request.body, 'current_password').slice(0, 1024);
    const password = field(request.body, 'password').slice(0, 1024);
    const confirmation = field(request.body, 'password_confirm').slice(0, 1024);

    const proven = await authenticate(services.authentication, { personalId: account.personalId, password: current });
    if (!proven.ok) {
      request.log.info({ event: 'password_change.refused', reason: proven.reason, account: account.id }, 'password change refused');
      // A failure for the audit trail only when a password was compared: a lock already in force compared none.
      if (proven.reason === 'invalid_credentials' || (proven.reason === 'throttled' && 'accountId' in proven)) {
        await services.lifecycle.recordSignInFailure(account.id, { ip: request.ip });
      }
      if (proven.reason === 'throttled') {
        const seconds = Math.max(1, Math.ceil((proven.until.getTime() - services.now().getTime()) / 1000));
        reply.header('retry-after', String(seconds));
        return show(request, reply, { error: t('login.error.throttled', { minutes: String(Math.ceil(seconds / 60)) }), field: 'current' }, 429);
      }
      if (proven.reason === 'locked' || proven.reason === 'revoked') return reply.redirect('/account', 303);
      return show(request, reply, { error: t('password.current_wrong'), field: 'current' }, 401);
    }
    const problem = checkPassword(password, confirmation, account);
    if (problem) return show(request, reply, { error: t(`password.problem.${problem}` as MessageKey), field: 'new' }, 400);
    if (password === current) return show(request, reply, { error: t('password.same'), field: 'new' }, 400);

    await services.lifecycle.setPassword(account.id, password, { actor: { type: 'citizen', id: account.id }, reason: 'account_page', ip: request.ip });
    request.log.info({ event: 'password_change.done', account: account.id }, 'citizen changed the password on /account');
    return reply.redirect(`${ACCOUNT_PASSWORD_PATH}?changed=1`, 303);
  });
}
