// The SMS code page that takes a level-2 account to level 2 (page contract: form#otp, input name="otp").
import type { FastifyInstance, FastifyReply } from 'fastify';
import { maskPhone } from '../accounts/phone.ts';
import { resendSecondFactor, resendWait, verifySecondFactor } from '../accounts/second-factor.ts';
import type { AccountServices } from '../accounts/services.ts';
import type { CitizenAccount } from '../accounts/accounts.ts';
import { INTERACTION_PATH } from '../oidc/provider.ts';
import { field, PENDING, type InteractionFlow, type Loaded, type UidRequest } from './flow.ts';
import { translator } from './i18n.ts';

type Route = { Params: { uid: string }; Querystring: { lang?: string } };
type Limited = { rateLimit: { max: number; timeWindow: number } };

export async function secondFactorRoutes(app: FastifyInstance, { flow, services, limited }: { flow: InteractionFlow; services: AccountServices; limited: Limited }) {
  const deps = services.secondFactor;

  /** The level-2 account that proved its password in this interaction and now owes the code. */
  async function pendingAccount(request: UidRequest, uid: string) {
    const accountId = flow.readPending(request, PENDING.secondFactor, uid);
    const account = accountId ? await services.accounts.findById(accountId) : undefined;
    return account?.status === 'active' && account.level === 2 && account.phone ? account : undefined;
  }

  async function show(request: UidRequest, reply: FastifyReply, { details, lang }: Loaded, account: CitizenAccount, notice: { error?: string; info?: string; status?: number } = {}) {
    const t = translator(lang);
    const wait = await resendWait(deps, details.uid);
    return reply.code(notice.status ?? 200).view('otp', flow.page(lang, request, 'otp.title', {
      sent: t('otp.sent', { phone: maskPhone(account.phone!), minutes: String(Math.round(deps.codeSeconds / 60)) }),
      action: `${INTERACTION_PATH}/${details.uid}/otp`,
      resendAction: `${INTERACTION_PATH}/${details.uid}/otp/resend`,
      resendNote: wait === null ? t('otp.no_more') : wait > 0 ? t('otp.wait', { seconds: String(wait) }) : undefined,
      // The button stays while more codes may come: pressed too early, the page says how long is left (nothing
      // here counts down, and a reload would send the last code again).
      canResend: wait !== null,
      csrf: await reply.generateCsrf(),
      error: notice.error,
      info: notice.info,
    }));
  }

  app.get<Route>(`${INTERACTION_PATH}/:uid/otp`, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    const account = await pendingAccount(request, loaded.details.uid);
    if (!account) return reply.redirect(`${INTERACTION_PATH}/${loaded.details.uid}`, 303);
    return show(request, reply, loaded, account);
  });

  app.post<Route>(`${INTERACTION_PATH}/:uid/otp`, { preHandler: app.csrfProtection, config: limited }, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    const { details, lang } = loaded;
    const account = await pendingAccount(request, details.uid);
    if (!account || details.prompt.name !== 'login') return reply.redirect(`${INTERACTION_PATH}/${details.uid}`, 303);
    const check = await verifySecondFactor(deps, { uid: details.uid, accountId: account.id, code: field(request.body, 'otp').slice(0, 16) });
    if (!check.ok) {
      const t = translator(lang);
      if (check.problem === 'malformed') return show(request, reply, loaded, account, { error: t('otp.malformed'), status: 400 });
      if (check.problem === 'daily_limit') return flow.codesExhausted(request, reply, details, account);
      request.log.info({ event: `sign_in_code.${check.problem}`, account: account.id }, 'SMS sign-in code refused');
      flow.signInEnded(details, `code_${check.problem}`);
      const error = check.problem === 'wrong' ? t('otp.wrong', { attempts: String(check.attemptsLeft) }) : t('otp.expired');
      return show(request, reply, loaded, account, { error, status: 400 });
    }
    flow.clearPending(reply, PENDING.secondFactor, details.uid);
    return flow.finishLogin(request, reply, details, account, 2);
  });

  app.post<Route>(`${INTERACTION_PATH}/:uid/otp/resend`, { preHandler: app.csrfProtection, config: limited }, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    const account = await pendingAccount(request, loaded.details.uid);
    if (!account) return reply.redirect(`${INTERACTION_PATH}/${loaded.details.uid}`, 303);
    const { sent, dailyLimit } = await resendSecondFactor(deps, { uid: loaded.details.uid, accountId: account.id, phone: account.phone! });
    if (sent) return show(request, reply, loaded, account, { info: translator(loaded.lang)('otp.resent') });
    if (dailyLimit) return flow.codesExhausted(request, reply, loaded.details, account);
    return show(request, reply, loaded, account, { status: 429 });
  });
}
