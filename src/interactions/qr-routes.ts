// The browser's side of QR sign-in (issue 10): the code on the sign-in page, the page that waits for the e-ID
// app (it refreshes itself, so it works without JavaScript), and the JSON the sign-in page's script polls.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { opensToDevices, type CitizenAccount } from '../accounts/accounts.ts';
import type { AccountServices } from '../accounts/services.ts';
import { amrFor } from '../devices/qr-sign-in/amr.ts';
import { qrPayload, qrSvg } from '../devices/qr-sign-in/code.ts';
import { QR_SECONDS, qrStatus, type QrRequest, type QrSignInRequests } from '../devices/qr-sign-in/requests.ts';
import { describeSignIn } from '../devices/qr-sign-in/shown.ts';
import { WAIT_SCRIPT } from '../devices/qr-sign-in/wait-script.ts';
import { INTERACTION_PATH } from '../oidc/provider.ts';
import { PENDING, type Details, type InteractionFlow, type Loaded, type UidRequest } from './flow.ts';
import { translator, type Language } from './i18n.ts';

export interface QrSignInDeps {
  requests: QrSignInRequests;
  issuer: string;
  now: () => Date;
  /** Whether the device is still bound to the account and usable (not removed): checked again when the browser goes on. */
  deviceUsable(deviceId: string, accountId: string): Promise<boolean>;
}

type Route = { Params: { uid: string }; Querystring: { lang?: string } };

/** Seconds between the waiting page's own refreshes. */
const REFRESH_SECONDS = 3;

export function qrSignInPages(provider: Provider, flow: InteractionFlow, services: AccountServices, deps: QrSignInDeps) {
  const urls = (uid: string) => ({
    waitUrl: `${INTERACTION_PATH}/${uid}/qr`,
    statusUrl: `${INTERACTION_PATH}/${uid}/qr/status`,
    newCodeUrl: `${INTERACTION_PATH}/${uid}`,
  });

  /**
   * The code this sign-in shows: the one it showed before (named by a cookie, so a first sign-in page costs one
   * insert and no lookup) while that can still be scanned or decided, else a new one.
   */
  async function current(request: FastifyRequest, reply: FastifyReply, details: Details): Promise<QrRequest> {
    const shownId = flow.readPending(request, PENDING.qrCode, details.uid);
    const shown = shownId ? await deps.requests.find(shownId) : undefined;
    const status = shown?.interactionUid === details.uid ? qrStatus(shown, deps.now()) : undefined;
    if (shown && (status === 'pending' || status === 'scanned' || status === 'approved')) return shown;
    const created = await deps.requests.create({ interactionUid: details.uid, clientId: String(details.params.client_id), shown: await describeSignIn(provider, details.params) });
    flow.setPending(reply, PENDING.qrCode, details.uid, created.id, QR_SECONDS * 2);
    return created;
  }

  async function codeView(request: QrRequest, lang: Language) {
    const t = translator(lang);
    const payload = qrPayload(deps.issuer, request.id);
    return { payload, svg: await qrSvg(payload, t('app.qr_label')), status: qrStatus(request, deps.now()) };
  }

  /** What the sign-in page needs for its "Sign in with the VNeID app" block. */
  async function block(request: FastifyRequest, reply: FastifyReply, details: Details, lang: Language) {
    const t = translator(lang);
    const code = await codeView(await current(request, reply, details), lang);
    return { ...urls(details.uid), ...code, script: WAIT_SCRIPT, instructions: t('app.instructions', { minutes: String(QR_SECONDS / 60) }) };
  }

  /** The account the app approved for, if it can still sign in here (the device or account may have changed since). */
  async function approvedAccount(request: QrRequest, details: Details): Promise<CitizenAccount | undefined> {
    if (!request.accountId || !request.deviceId) return undefined;
    const account = await services.accounts.findById(request.accountId);
    if (!account || !opensToDevices(account) || account.level !== 2) return undefined;
    if (!(await deps.deviceUsable(request.deviceId, account.id))) return undefined;
    const client = await provider.Client.find(String(details.params.client_id));
    if (client?.['profile'] === 'sandbox' && !account.sandbox) return undefined;
    return account;
  }

  async function showWaiting(request: UidRequest, reply: FastifyReply, { details, lang }: Loaded, qr: QrRequest, problem?: string) {
    const t = translator(lang);
    const code = await codeView(qr, lang);
    const waiting = code.status === 'pending' || code.status === 'scanned';
    return reply.code(problem ? 403 : 200).view('qr-wait', flow.page(lang, request, 'app.heading', {
      ...urls(details.uid),
      ...code,
      instructions: t('app.instructions', { minutes: String(QR_SECONDS / 60) }),
      // Without JavaScript the page asks the browser to come back; it stops once there is nothing to wait for.
      refresh: waiting && !problem ? REFRESH_SECONDS : undefined,
      waiting,
      problem,
    }));
  }

  async function routes(app: FastifyInstance) {
    app.get<Route>(`${INTERACTION_PATH}/:uid/qr`, async (request, reply) => {
      const loaded = await flow.load(request, reply);
      if (!loaded) return reply;
      const { details, lang } = loaded;
      const back = () => reply.redirect(`${INTERACTION_PATH}/${details.uid}`, 303);
      if (details.prompt.name !== 'login') return back();
      const latest = await deps.requests.latestFor(details.uid);
      if (!latest) return back();
      const status = qrStatus(latest, deps.now());
      if (status === 'used') return back();
      if (status !== 'approved' && status !== 'denied') return showWaiting(request, reply, loaded, latest);

      // Taken up once: a second tab, a reload or another instance finds it used.
      const used = await deps.requests.use(latest.id);
      if (!used) return back();
      if (used.decision === 'denied') {
        request.log.info({ event: 'sign_in.failed', reason: 'app_denied' }, 'citizen declined the sign-in in the e-ID app');
        flow.signInEnded(details, 'app_denied');
        return flow.finish(request, reply, { error: 'access_denied', error_description: 'the citizen declined the sign-in in the e-ID app' });
      }
      const account = await approvedAccount(used, details);
      if (!account) {
        request.log.info({ event: 'sign_in.failed', reason: 'app_account_unavailable', account: used.accountId }, 'QR sign-in approved for an account that cannot sign in');
        flow.signInEnded(details, 'app_account_unavailable');
        return showWaiting(request, reply, loaded, used, translator(lang)('app.unavailable'));
      }
      request.log.info({ event: 'sign_in.qr_approved', device: used.deviceId }, 'QR sign-in approved in the e-ID app');
      return flow.finishLogin(request, reply, details, account, 2, amrFor(used.userVerification ?? 'pin'));
    });

    // For the sign-in page's script: where its code stands. Only the browser holding this sign-in's cookie asks.
    app.get<Route>(`${INTERACTION_PATH}/:uid/qr/status`, async (request, reply) => {
      reply.header('cache-control', 'no-store');
      let details: Details | undefined;
      try {
        details = await provider.interactionDetails(request.raw, reply.raw);
      } catch (error) {
        if (!(error instanceof errors.SessionNotFound)) throw error;
      }
      if (!details || details.uid !== request.params.uid) return { status: 'expired' };
      const latest = await deps.requests.latestFor(details.uid);
      if (!latest) return { status: 'expired' };
      const status = qrStatus(latest, deps.now());
      return { status, expires_in: Math.max(0, Math.ceil((latest.expiresAt.getTime() - deps.now().getTime()) / 1000)) };
    });
  }

  return { block, routes };
}

export type QrSignInPages = ReturnType<typeof qrSignInPages>;
