// Passwords inside the sign-in flow: the forced change after the SMS password, and reset by SMS code.
import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizePersonalId } from '../accounts/authenticate.ts';
import { checkPassword } from '../accounts/password-policy.ts';
import { requestResetCode, resetPassword } from '../accounts/password-reset.ts';
import type { AccountServices } from '../accounts/services.ts';
import type { Background } from '../background.ts';
import { INTERACTION_PATH } from '../oidc/provider.ts';
import { field, PENDING, type InteractionFlow, type Loaded, type UidRequest } from './flow.ts';
import { translator, type MessageKey } from './i18n.ts';
import { switchUrl } from './language.ts';

/** Which number the code page of this interaction is for, so the language switch (a plain link) can come back to it. */

type Route = { Params: { uid: string }; Querystring: { lang?: string } };

/** Which password a pending step was proven with, without carrying the hash: a short digest of it. */
export function passwordFingerprint(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22);
}

export async function passwordRoutes(
  app: FastifyInstance,
  { flow, services, limited, background }: { flow: InteractionFlow; services: AccountServices; limited: { rateLimit: { max: number; timeWindow: number } }; background: Background },
) {
  /**
   * The account that just proved its SMS password in this interaction, from the signed cookie set at sign-in, while
   * that password is still the account's: one replaced since (a re-issue, a phone change) voids the step.
   */
  async function pendingAccount(request: FastifyRequest, uid: string) {
    const [accountId, proven] = (flow.readPending(request, PENDING.passwordChange, uid) ?? '').split('~');
    const account = accountId ? await services.accounts.findById(accountId) : undefined;
    if (!account || account.status !== 'active' || !account.passwordMustChange) return undefined;
    return proven === passwordFingerprint(account.passwordHash) ? account : undefined;
  }

  async function showChange(request: UidRequest, reply: FastifyReply, { details, lang }: Loaded, error?: MessageKey, status = 200) {
    const t = translator(lang);
    return reply.code(status).view('password-change', flow.page(lang, request, 'password.title', {
      heading: t('password.heading_first'),
      explain: t('password.explain_first'),
      action: `${INTERACTION_PATH}/${details.uid}/password`,
      csrf: await reply.generateCsrf(),
      error: error ? t(error) : undefined,
    }));
  }

  app.get<Route>(`${INTERACTION_PATH}/:uid/password`, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    if (!(await pendingAccount(request, loaded.details.uid))) return reply.redirect(`${INTERACTION_PATH}/${loaded.details.uid}`, 303);
    return showChange(request, reply, loaded);
  });

  app.post<Route>(`${INTERACTION_PATH}/:uid/password`, { preHandler: app.csrfProtection }, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    const account = await pendingAccount(request, loaded.details.uid);
    if (!account || loaded.details.prompt.name !== 'login') return reply.redirect(`${INTERACTION_PATH}/${loaded.details.uid}`, 303);
    const password = field(request.body, 'password').slice(0, 1024);
    const problem = checkPassword(password, field(request.body, 'password_confirm').slice(0, 1024), account);
    if (problem) return showChange(request, reply, loaded, `password.problem.${problem}`, 400);
    // The SMS password may not be kept: "changed" means different from the one just used.
    if (await services.passwords.verify(account.passwordHash, password)) return showChange(request, reply, loaded, 'password.problem.common', 400);
    await services.lifecycle.setPassword(account.id, password, { actor: { type: 'citizen', id: account.id }, reason: 'first_sign_in', ip: request.ip });
    flow.clearPending(reply, PENDING.passwordChange, loaded.details.uid);
    return flow.completeLogin(request, reply, loaded.details, { ...account, passwordMustChange: false });
  });

  async function showResetRequest(request: UidRequest, reply: FastifyReply, { details, lang }: Loaded, extra: { error?: MessageKey; username?: string; status?: number } = {}) {
    const t = translator(lang);
    return reply.code(extra.status ?? 200).view('reset-request', flow.page(lang, request, 'reset.title', {
      action: `${INTERACTION_PATH}/${details.uid}/reset`,
      backUrl: `${INTERACTION_PATH}/${details.uid}`,
      csrf: await reply.generateCsrf(),
      error: extra.error ? t(extra.error) : undefined,
      username: extra.username,
    }));
  }

  async function showResetConfirm(request: UidRequest, reply: FastifyReply, { details, lang }: Loaded, personalId: string, extra: { error?: MessageKey; status?: number } = {}) {
    const t = translator(lang);
    return reply.code(extra.status ?? 200).view('reset-confirm', flow.page(lang, request, 'reset.title', {
      // The switch leads to this code page again (GET below), not to the sign-in page a POST would fall back to.
      switchUrl: switchUrl(`${INTERACTION_PATH}/${details.uid}/reset/confirm`, lang),
      action: `${INTERACTION_PATH}/${details.uid}/reset/confirm`,
      backUrl: `${INTERACTION_PATH}/${details.uid}`,
      csrf: await reply.generateCsrf(),
      sent: t('reset.sent', { minutes: String(Math.round(services.passwordReset.codeSeconds / 60)) }),
      error: extra.error ? t(extra.error) : undefined,
      username: personalId,
    }));
  }

  app.get<Route>(`${INTERACTION_PATH}/:uid/reset`, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    return loaded ? showResetRequest(request, reply, loaded) : reply;
  });

  app.post<Route>(`${INTERACTION_PATH}/:uid/reset`, { preHandler: app.csrfProtection, config: limited }, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    const personalId = normalizePersonalId(field(request.body, 'username').slice(0, 64));
    if (!/^\d{12}$/.test(personalId)) return showResetRequest(request, reply, loaded, { error: 'login.error.malformed_id', username: personalId, status: 400 });
    // Once the answer is out: its timing must not tell whether the number has an account (the embedded
    // database runs on this thread, so work started earlier would still slow the answer down).
    const requestedAt = services.passwordReset.now();
    background.run('password-reset code', async () => {
      await finished(reply.raw).catch(() => {});
      await requestResetCode(services.passwordReset, personalId, requestedAt);
    });
    request.log.info({ event: 'password_reset.requested' }, 'password-reset code requested');
    flow.setPending(reply, PENDING.passwordReset, loaded.details.uid, personalId, services.passwordReset.codeSeconds);
    return showResetConfirm(request, reply, loaded, personalId);
  });

  app.get<Route>(`${INTERACTION_PATH}/:uid/reset/confirm`, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    const personalId = flow.readPending(request, PENDING.passwordReset, loaded.details.uid);
    if (!personalId) return reply.redirect(`${INTERACTION_PATH}/${loaded.details.uid}/reset`, 303);
    return showResetConfirm(request, reply, loaded, personalId);
  });

  app.post<Route>(`${INTERACTION_PATH}/:uid/reset/confirm`, { preHandler: app.csrfProtection, config: limited }, async (request, reply) => {
    const loaded = await flow.load(request, reply);
    if (!loaded) return reply;
    const personalId = normalizePersonalId(field(request.body, 'username').slice(0, 64));
    const outcome = await resetPassword(services.passwordReset, {
      personalId,
      code: field(request.body, 'code').slice(0, 16),
      password: field(request.body, 'password').slice(0, 1024),
      confirmation: field(request.body, 'password_confirm').slice(0, 1024),
      ip: request.ip,
    });
    if (!outcome.ok) {
      request.log.info({ event: 'password_reset.refused', reason: outcome.problem === 'invalid_code' ? 'invalid_code' : 'weak_password' }, 'password reset refused');
      const error: MessageKey = outcome.problem === 'invalid_code' ? 'reset.invalid_code' : `password.problem.${outcome.problem}`;
      return showResetConfirm(request, reply, loaded, personalId, { error, status: 400 });
    }
    flow.clearPending(reply, PENDING.passwordReset, loaded.details.uid);
    return reply.redirect(`${INTERACTION_PATH}/${loaded.details.uid}?notice=password_reset`, 303);
  });
}
