// The e-ID app's side of QR sign-in (issue 10): scan a sign-in page's code, see who asks for what, approve
// (saying how the citizen unlocked the key) or deny. Every route runs behind the device proof (authenticate.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { Accounts } from '../../accounts/accounts.ts';
import type { AuditEvent } from '../../audit/audit.ts';
import { claimLabels, translator } from '../../interactions/i18n.ts';
import { dateTime, refusal } from '../../http/api-schemas.ts';
import type { AppApiExtension } from '../routes.ts';
import { deviceResponses } from '../schemas.ts';
import { USER_VERIFICATIONS } from './amr.ts';
import { parseQrPayload } from './code.ts';
import { qrStatus, type QrProblem, type QrRequest, type QrSignInRequests, type UserVerification } from './requests.ts';

export interface QrAppRouteOptions {
  requests: QrSignInRequests;
  accounts: Accounts;
  provider: Provider;
  issuer: string;
  now: () => Date;
  /** The account's audit trail: each decision made in the app is recorded there. */
  audit: (event: AuditEvent) => Promise<void>;
}

const REQUEST_ID = '^[A-Za-z0-9_-]{22,64}$';
const PROBLEMS: Record<QrProblem, { status: number; error: string; description: string }> = {
  unknown: { status: 404, error: 'unknown_request', description: 'no QR sign-in request with this id was scanned by this device' },
  expired: { status: 410, error: 'expired_request', description: 'the QR code has expired (codes last two minutes); the sign-in page offers a new one' },
  taken: { status: 409, error: 'already_scanned', description: 'another device already scanned this QR code; the sign-in page can show a new one' },
  decided: { status: 409, error: 'already_decided', description: 'this QR sign-in was already approved or denied; a code is used once' },
};

const view = {
  type: 'object',
  additionalProperties: false,
  required: ['request_id', 'status', 'expires_at', 'expires_in', 'service', 'level', 'data', 'labels'],
  properties: {
    request_id: { type: 'string' },
    status: { type: 'string', enum: ['scanned', 'approved', 'denied', 'expired', 'used'] },
    expires_at: dateTime,
    expires_in: { type: 'integer', description: 'seconds left to decide' },
    service: {
      type: 'object',
      additionalProperties: false,
      required: ['client_id', 'name', 'domain', 'organisation'],
      properties: {
        client_id: { type: 'string' },
        name: { type: 'string' },
        domain: { type: 'string', description: 'the host the browser returns to after the sign-in' },
        organisation: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { name: { type: 'string' }, domain: { type: ['string', 'null'] } },
          description: 'who stands behind the service, as the registry approved it',
        },
      },
    },
    level: {
      type: 'object',
      additionalProperties: false,
      required: ['requested', 'result'],
      properties: {
        requested: { type: ['string', 'null'], description: 'the level (acr) the service asked for, if any' },
        result: { type: 'string', description: 'the level an approval in the app reaches: urn:vn:eid:loa:2' },
      },
    },
    data: { type: 'array', items: { type: 'string' }, description: 'the claims the service asks for' },
    labels: {
      type: 'object',
      additionalProperties: false,
      required: ['vi', 'en'],
      properties: { vi: { type: 'array', items: { type: 'string' } }, en: { type: 'array', items: { type: 'string' } } },
      description: 'the same data as a person reads it, once per item',
    },
  },
} as const;

const problems = (...codes: QrProblem[]) =>
  Object.fromEntries(codes.map((code) => [PROBLEMS[code].status, refusal(PROBLEMS[code].description, codes.filter((c) => PROBLEMS[c].status === PROBLEMS[code].status).map((c) => PROBLEMS[c].error))]));
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: REQUEST_ID } } } as const;
const decided = { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', enum: ['approved', 'denied'] } } } as const;

function labelsOf(data: string[]) {
  const labels = (lang: 'vi' | 'en') => {
    const t = translator(lang);
    return [...claimLabels(data, t), ...(data.includes('offline_access') ? [t('claim.offline_access')] : [])];
  };
  return { vi: labels('vi'), en: labels('en') };
}

/** The QR sign-in routes, added to the app API's scope (src/devices/routes.ts): each needs the device's proof. */
export function qrSignInAppApi(options: QrAppRouteOptions): AppApiExtension {
  return (scope) => qrSignInAppRoutes(scope, options);
}

async function qrSignInAppRoutes(app: FastifyInstance, options: QrAppRouteOptions) {
  const { requests, now } = options;
  const signed = { preHandler: app.requireDevice };

  const present = (request: QrRequest) => ({
    request_id: request.id,
    status: qrStatus(request, now()),
    expires_at: request.expiresAt.toISOString(),
    expires_in: Math.max(0, Math.ceil((request.expiresAt.getTime() - now().getTime()) / 1000)),
    service: request.shown.service,
    level: request.shown.level,
    data: request.shown.data,
    labels: labelsOf(request.shown.data),
  });
  const refuse = (reply: FastifyReply, problem: QrProblem) =>
    reply.code(PROBLEMS[problem].status).send({ error: PROBLEMS[problem].error, error_description: PROBLEMS[problem].description });
  const deviceOf = (request: FastifyRequest) => request.device!;

  /** A sandbox service signs in sandbox citizens only: said to the app before the citizen decides anything. */
  async function refusedByService(request: QrRequest, accountId: string): Promise<boolean> {
    const client = await options.provider.Client.find(request.clientId);
    if (client?.['profile'] !== 'sandbox') return false;
    const account = await options.accounts.findById(accountId);
    return !account?.sandbox;
  }

  app.post<{ Body: { qr: string } }>('/app/qr-sign-ins', {
    ...signed,
    schema: {
      summary: 'Scan a sign-in page\'s QR code',
      description: 'Claims the one-time request for this device (a second device is refused) and answers what the citizen must see before deciding: the service, its domain, the level and the data asked for.',
      tags: ['QR sign-in'],
      body: { type: 'object', additionalProperties: false, required: ['qr'], properties: { qr: { type: 'string', maxLength: 2000, description: 'the text the QR code holds' } } },
      response: {
        200: view,
        ...deviceResponses,
        400: refusal('the body does not match, or the text is not a sign-in code of this provider', ['invalid_request', 'invalid_qr']),
        403: refusal('this service is a sandbox service and signs in sandbox citizens only', ['access_denied']),
        ...problems('unknown', 'expired', 'taken', 'decided'),
      },
    },
  }, async (request, reply) => {
    const id = parseQrPayload(options.issuer, request.body.qr);
    if (!id) return reply.code(400).send({ error: 'invalid_qr', error_description: 'this is not a sign-in QR code of this provider' });
    const device = deviceOf(request);
    // Before claiming: a refused citizen leaves the code as it was, for a sandbox persona's device to scan.
    const found = await requests.find(id);
    if (found && (await refusedByService(found, device.accountId))) {
      return reply.code(403).send({ error: 'access_denied', error_description: 'this is a sandbox service: it signs in sandbox citizens only' });
    }
    const claimed = await requests.claim(id, device);
    if (!claimed.ok) return refuse(reply, claimed.problem);
    request.log.info({ event: 'qr_sign_in.scanned', device: device.id, client: claimed.request.clientId }, 'QR sign-in code scanned');
    return present(claimed.request);
  });

  app.get<{ Params: { id: string } }>('/app/qr-sign-ins/:id', {
    ...signed,
    schema: {
      summary: 'A scanned QR sign-in request, again',
      tags: ['QR sign-in'],
      params: idParams,
      response: { 200: view, ...deviceResponses, ...problems('unknown') },
    },
  }, async (request, reply) => {
    const found = await requests.find(request.params.id);
    // Only the device that scanned it: to any other it does not exist.
    if (!found || found.deviceId !== deviceOf(request).id) return refuse(reply, 'unknown');
    return present(found);
  });

  async function decide(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, decision: { approve: true; userVerification: UserVerification } | { approve: false }) {
    const device = deviceOf(request);
    const outcome = await requests.decide(request.params.id, device.id, decision);
    if (!outcome.ok) return refuse(reply, outcome.problem);
    const action = decision.approve ? 'qr_sign_in.approved' : 'qr_sign_in.denied';
    request.log.info({ event: action, device: device.id, client: outcome.request.clientId }, 'QR sign-in decided in the e-ID app');
    await options.audit({
      actor: { type: 'citizen', id: device.accountId },
      action,
      subject: { type: 'account', id: device.accountId },
      detail: { device: device.id, client: outcome.request.clientId, ...(decision.approve ? { user_verification: decision.userVerification } : {}) },
      ip: request.ip,
      at: now(),
    });
    return { status: decision.approve ? 'approved' : 'denied' };
  }

  app.post<{ Params: { id: string }; Body: { user_verification: UserVerification } }>('/app/qr-sign-ins/:id/approve', {
    ...signed,
    schema: {
      summary: 'Approve a scanned QR sign-in',
      description: 'The browser that showed the code goes on, signed in at urn:vn:eid:loa:2 for the account this device is bound to; amr says how the key was unlocked (pin: ["hwk","pin","mfa"], biometric: ["hwk","fpt","mfa"]).',
      tags: ['QR sign-in'],
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['user_verification'],
        properties: { user_verification: { type: 'string', enum: [...USER_VERIFICATIONS], description: 'how the citizen unlocked the device key' } },
      },
      response: { 200: decided, ...deviceResponses, ...problems('unknown', 'expired', 'decided') },
    },
  }, (request, reply) => decide(request, reply, { approve: true, userVerification: request.body.user_verification }));

  app.post<{ Params: { id: string } }>('/app/qr-sign-ins/:id/deny', {
    ...signed,
    schema: {
      summary: 'Deny a scanned QR sign-in',
      description: 'The browser\'s sign-in ends and the service receives access_denied.',
      tags: ['QR sign-in'],
      params: idParams,
      response: { 200: decided, ...deviceResponses, ...problems('unknown', 'expired', 'decided') },
    },
  }, (request, reply) => decide(request, reply, { approve: false }));
}
