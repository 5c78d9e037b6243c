// The e-ID app's side of CIBA: the bank requests waiting for this citizen (who asks, the binding message, the data,
// the level), approve (saying how the key was unlocked) or deny. Every route runs behind the device proof.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.ts';
import { dateTime, refusal } from '../http/api-schemas.ts';
import { claimLabels, translator } from '../interactions/i18n.ts';
import type { PendingCibaRequest } from './ciba-requests.ts';
import { cibaAnswers, USER_VERIFICATIONS, type CibaProblem, type UserVerification } from './ciba-answers.ts';
import { devicesOf } from './devices.ts';
import type { AppApiExtension } from './routes.ts';
import { deviceResponses } from './schemas.ts';

const REQUEST_ID = '^[A-Za-z0-9_-]{20,64}$';

const PROBLEMS: Record<CibaProblem, { status: 404 | 409 | 410; error: string; description: string }> = {
  unknown: { status: 404, error: 'unknown_request', description: 'no back-channel request with this id is waiting for this citizen' },
  expired: { status: 410, error: 'expired_request', description: 'the request has expired; the bank can send a new one' },
  answered: { status: 409, error: 'already_decided', description: 'this request was already approved or denied (perhaps on another device); an answer is given once' },
};

const requestView = {
  type: 'object',
  additionalProperties: false,
  required: ['request_id', 'service', 'binding_message', 'scopes', 'claims', 'labels', 'level', 'created_at', 'expires_at', 'expires_in'],
  properties: {
    request_id: { type: 'string' },
    service: {
      type: 'object',
      additionalProperties: false,
      required: ['client_id', 'name', 'domain'],
      properties: { client_id: { type: 'string' }, name: { type: 'string' }, domain: { type: ['string', 'null'] } },
    },
    binding_message: { type: ['string', 'null'], description: 'the text the bank shows its customer: the citizen checks that both match' },
    scopes: { type: 'array', items: { type: 'string' } },
    claims: { type: 'array', items: { type: 'string' }, description: 'the claims the bank receives if the citizen approves' },
    labels: { type: 'array', items: { type: 'string' }, description: 'those claims in the citizen\'s language (Accept-Language: vi, en)' },
    level: { type: 'integer', enum: [1, 2], description: 'the assurance level the bank receives (urn:vn:eid:loa:N)' },
    created_at: dateTime,
    expires_at: dateTime,
    expires_in: { type: 'integer', description: 'seconds left to answer' },
  },
} as const;

const params = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', pattern: REQUEST_ID } } } as const;
const answered = { type: 'object', additionalProperties: false, required: ['status'], properties: { status: { type: 'string', enum: ['approved', 'denied'] } } } as const;
const problems = {
  404: refusal(PROBLEMS.unknown.description, ['unknown_request']),
  409: refusal(PROBLEMS.answered.description, ['already_decided']),
  410: refusal(PROBLEMS.expired.description, ['expired_request']),
};

/** Whether the provider can ask this account's citizen at all: a device is bound to it (src/oidc/ciba.ts). */
export const canBeAsked = (db: Kysely<Schema>) => async (accountId: string) => (await devicesOf(db, accountId)).length > 0;

export function cibaAppRoutes(deps: { db: Kysely<Schema>; provider: Provider; now: () => Date; logger: Logger }): AppApiExtension {
  const { now } = deps;
  const answers = cibaAnswers(deps);
  return async (app: FastifyInstance) => {
    const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
    const refuse = (reply: FastifyReply, problem: CibaProblem) => {
      const { status, error, description } = PROBLEMS[problem];
      return noStore(reply).code(status).send({ error, error_description: description });
    };

    app.get('/app/ciba-requests', {
      schema: {
        tags: ['ciba'],
        operationId: 'listCibaRequests',
        summary: 'Back-channel (CIBA) requests from banks waiting for this citizen\'s answer, newest first',
        response: { ...deviceResponses, 200: { type: 'object', additionalProperties: false, required: ['requests'], properties: { requests: { type: 'array', items: requestView } } } },
      },
      preHandler: app.requireDevice,
    }, async (request, reply) => {
      const lang = String(request.headers['accept-language'] ?? '').toLowerCase().startsWith('en') ? 'en' : 'vi';
      const pending = await answers.pending(request.device!.accountId);
      return noStore(reply).send({ requests: pending.map((r) => view(r, lang, now().getTime())) });
    });

    app.post<{ Params: { id: string }; Body: { user_verification: UserVerification } }>('/app/ciba-requests/:id/approve', {
      schema: {
        tags: ['ciba'],
        operationId: 'approveCibaRequest',
        summary: 'Approve: the bank receives tokens at the level shown, with amr ["hwk","pin"|"fpt","mfa"] from how the key was unlocked',
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['user_verification'],
          properties: { user_verification: { type: 'string', enum: [...USER_VERIFICATIONS], description: 'how the citizen unlocked the device key' } },
        },
        response: { ...deviceResponses, 200: answered, ...problems },
      },
      preHandler: app.requireDevice,
    }, async (request, reply) => {
      const outcome = await answers.approve(request.device!, request.params.id, request.body.user_verification, request.ip);
      return outcome.ok ? noStore(reply).send({ status: 'approved' }) : refuse(reply, outcome.problem);
    });

    app.post<{ Params: { id: string } }>('/app/ciba-requests/:id/deny', {
      schema: {
        tags: ['ciba'],
        operationId: 'denyCibaRequest',
        summary: 'Deny: the bank is told access_denied',
        params,
        response: { ...deviceResponses, 200: answered, ...problems },
      },
      preHandler: app.requireDevice,
    }, async (request, reply) => {
      const outcome = await answers.deny(request.device!, request.params.id, request.ip);
      return outcome.ok ? noStore(reply).send({ status: 'denied' }) : refuse(reply, outcome.problem);
    });
  };
}

function view(r: PendingCibaRequest, lang: 'vi' | 'en', nowMs: number) {
  return {
    request_id: r.id,
    service: { client_id: r.clientId, name: r.serviceName, domain: r.serviceDomain },
    binding_message: r.bindingMessage,
    scopes: r.scopes,
    claims: r.claims,
    labels: claimLabels(r.claims, translator(lang)),
    level: r.level,
    created_at: r.createdAt.toISOString(),
    expires_at: r.expiresAt.toISOString(),
    expires_in: Math.max(0, Math.round((r.expiresAt.getTime() - nowMs) / 1000)),
  };
}
