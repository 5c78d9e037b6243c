// What every sign-in page shares: loading the interaction behind the cookie, the page's language and
// switch, and handing the result back to the provider.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type InteractionResults } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { CitizenAccount } from '../accounts/accounts.ts';
import { startSecondFactor, type SecondFactorDeps } from '../accounts/second-factor.ts';
import { acrForLevel } from '../oidc/claims.ts';
import { requiredLevel, type Level } from '../oidc/levels.ts';
import { FIRST_PARTY_CLIENT, INTERACTION_PATH } from '../oidc/provider.ts';
import { writeHeldAndStop } from '../oidc/request-memo.ts';
import { translator, type Language, type MessageKey } from './i18n.ts';
import { chooseLanguage, LANGUAGE_COOKIE, switchUrl } from './language.ts';
import type { SignInObserver, SignInOutcome } from './sign-in-outcome.ts';

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

/** Signed, short-lived cookies that carry "this account proved X in this interaction" to the next step. */
export const PENDING = { passwordChange: 'pw_change', secondFactor: 'otp_pending', passwordReset: 'pw_reset', qrCode: 'qr_code' } as const;

/** Steps whose page a GET shows again, from the signed cookie the step before left (the form's POST goes to the same path). */
const STEP_PAGES: Record<string, string> = { otp: 'otp', 'otp/resend': 'otp', password: 'password', reset: 'reset', 'reset/confirm': 'reset/confirm' };

/** The page that shows again the step a POST answered, for the language switch. */
function stepPage(url: string, uid: string): string {
  const root = `${INTERACTION_PATH}/${uid}`;
  const path = url.split('?')[0] ?? '';
  const step = path.startsWith(`${root}/`) ? path.slice(root.length + 1) : '';
  return Object.hasOwn(STEP_PAGES, step) ? `${root}/${STEP_PAGES[step]}` : root;
}

/**
 * Marks an interaction as a sign-in to the citizen's own page (/account), for as long as a citizen may come back to
 * it: once it has expired, nothing else says where it started, and "return to the service" would lead nowhere.
 */
const ACCOUNT_SIGN_IN = 'account_sign_in';

export function interactionFlow(provider: Provider, options: { secureCookies: boolean; secondFactor: SecondFactorDeps; signIns?: SignInObserver | undefined }) {
  const cookieOptions = { path: '/', sameSite: 'lax' as const, httpOnly: true, secure: options.secureCookies };

  /** Counts how a sign-in attempt ended, at the level the service asked for. */
  function signInEnded(details: Details, outcome: SignInOutcome) {
    options.signIns?.(outcome, requiredLevel(details.params) === 2 ? 2 : 1);
  }

  function setPending(reply: FastifyReply, name: string, uid: string, value: string, maxAge = 15 * 60) {
    reply.setCookie(name, `${uid}.${value}`, { ...cookieOptions, path: `${INTERACTION_PATH}/${uid}`, signed: true, maxAge });
  }

  /** The value (an account id, a personal ID number) a pending cookie holds for this interaction, if its signature holds. */
  function readPending(request: FastifyRequest, name: string, uid: string): string | undefined {
    const raw = request.cookies[name];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    if (!unsigned?.valid || !unsigned.value) return undefined;
    const [cookieUid, accountId] = unsigned.value.split('.');
    return cookieUid === uid && accountId ? accountId : undefined;
  }

  function clearPending(reply: FastifyReply, name: string, uid: string) {
    reply.clearCookie(name, { path: `${INTERACTION_PATH}/${uid}` });
  }

  function page(lang: Language, request: FastifyRequest, title: MessageKey, data: Record<string, unknown>) {
    const t = translator(lang);
    const uid = (request.params as { uid: string }).uid;
    // After a POST the switch leads to the same step's own page (a wrong SMS code: the code page again, in the
    // other language); a step without one (the password, consent) is what the interaction's page shows anyway.
    const here = request.method === 'GET' ? request.url : stepPage(request.url, uid);
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
    const uid = request.params.uid;
    if (!details) {
      const t = translator(lang);
      // A sign-in to /account can simply start again; a service's sign-in starts at the service.
      const forAccount = request.cookies[ACCOUNT_SIGN_IN] === uid;
      await reply.code(400).view('message', page(lang, request, 'expired.title', {
        heading: t('expired.title'),
        message: t(forAccount ? 'expired.body_account' : 'expired.body'),
        ...(forAccount ? { link: { href: '/account', text: t('expired.account_again') } } : {}),
      }));
      return undefined;
    }
    if (isFirstParty(details)) reply.setCookie(ACCOUNT_SIGN_IN, uid, { ...cookieOptions, path: `${INTERACTION_PATH}/${uid}`, maxAge: 7 * 24 * 3600 });
    return { details, lang };
  }

  /** The sign-in is for the citizen's own page (/account), not for a service. */
  function isFirstParty(details: Details): boolean {
    return details.params.client_id === FIRST_PARTY_CLIENT;
  }

  async function clientName(details: Details, lang: Language): Promise<string> {
    // The account page is ours: its name is in the page's language, not the registry's Vietnamese.
    if (isFirstParty(details)) return translator(lang)('account.client_name');
    const client = await provider.Client.find(String(details.params.client_id));
    return client?.clientName ?? String(details.params.client_id);
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, result: InteractionResults) {
    // Merged with the step before: a consent given after a forced login (prompt=login consent, max_age) carries
    // that login along, or the resumed request would ask for the password again, and again.
    const redirectTo = await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: true });
    // What the route held to write with the result (the consent's grant) is written before the browser goes on.
    await writeHeldAndStop();
    return reply.redirect(redirectTo, 303);
  }

  /** The authentication is complete at this level: the provider takes over (consent, or back to the service). */
  function finishLogin(request: FastifyRequest, reply: FastifyReply, details: Details, account: CitizenAccount, level: Level, methods?: string[]) {
    // `level` is pino's own field (the log level): the assurance level goes under its own name.
    request.log.info({ account: account.id, client: details.params.client_id, assuranceLevel: level }, 'citizen signed in');
    options.signIns?.('success', level);
    // The password and SMS code, unless the caller says how (the e-ID app: its device key and PIN or biometric).
    const amr = methods ?? (level === 2 ? ['pwd', 'otp', 'sms'] : ['pwd']);
    // ts: the moment the password (and code) were proven, kept as auth_time when a later step resubmits this login.
    const ts = Math.floor(Date.now() / 1000);
    return finish(request, reply, { login: { accountId: account.id, acr: acrForLevel(level), amr, remember: true, ts } });
  }

  /**
   * The citizen proved the password (now, or earlier in this session). A password reaches level 1; when the
   * service asks for level 2, a level-2 account goes on to the SMS code and a level-1 account learns how to
   * upgrade — the service never gets a lower level than it asked for.
   */
  async function completeLogin(request: UidRequest, reply: FastifyReply, details: Details, account: CitizenAccount) {
    if (requiredLevel(details.params) !== 2) return finishLogin(request, reply, details, account, 1);
    if (account.level < 2 || !account.phone) {
      signInEnded(details, 'level_unavailable');
      const lang = languageOf(request, details);
      return reply.code(403).view('upgrade', page(lang, request, 'upgrade.title', {
        clientName: await clientName(details, lang),
        accountLevel: account.level,
        returnUrl: `${INTERACTION_PATH}/${details.uid}/abort?reason=level`,
      }));
    }
    const started = await startSecondFactor(options.secondFactor, { uid: details.uid, accountId: account.id, phone: account.phone });
    if (started === 'daily_limit') return codesExhausted(request, reply, details, account);
    if (started === 'sent') request.log.info({ event: 'sms.queued', purpose: 'sign_in_code', account: account.id }, 'SMS sign-in code queued');
    setPending(reply, PENDING.secondFactor, details.uid, account.id);
    return reply.redirect(`${INTERACTION_PATH}/${details.uid}/otp`, 303);
  }

  /**
   * The account has had all the codes it may be sent, or may get wrong, today: no code field to try, and the way
   * back tells the service that level 2 cannot be reached now.
   */
  async function codesExhausted(request: UidRequest, reply: FastifyReply, details: Details, account: CitizenAccount) {
    signInEnded(details, 'code_daily_limit');
    request.log.warn({ event: 'sign_in_code.daily_limit', account: account.id }, 'no more SMS sign-in codes for this account today');
    const lang = languageOf(request, details);
    const t = translator(lang);
    return reply.code(429).view('message', page(lang, request, 'otp.title', {
      heading: t('otp.heading'),
      message: t('otp.daily_limit'),
      returnUrl: `${INTERACTION_PATH}/${details.uid}/abort?reason=codes`,
    }));
  }

  function languageOf(request: UidRequest, details: Details): Language {
    return chooseLanguage({ query: request.query.lang, cookie: request.cookies[LANGUAGE_COOKIE], uiLocales: details.params.ui_locales });
  }

  return { page, load, isFirstParty, clientName, finish, finishLogin, completeLogin, codesExhausted, signInEnded, setPending, readPending, clearPending, cookieOptions };
}

export type InteractionFlow = ReturnType<typeof interactionFlow>;
