// The e-ID app's API (/app, JSON): enrolment of a device, then requests each signed with a fresh Device-Proof.
// Its OpenAPI document is /app/openapi.json. Other parts of the app API register inside this scope through
// `extensions`, so that they share the raw-body parser, `app.requireDevice` and the document.
import { SIGN_IN_FORMS } from '../http/rate-limit-store.ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { fullName } from '../accounts/accounts.ts';
import type { AccountServices } from '../accounts/services.ts';
import { recordAudit } from '../audit/audit.ts';
import { apiDocument } from '../http/openapi.ts';
import { deviceScope, DEVICE_PROOF_HEADER } from './authenticate.ts';
import { deviceName, devicesOf, removeDevice, renameDevice } from './devices.ts';
import { completeEnrolment, startEnrolment, type Refusal } from './enrolment.ts';
import { PROOF_TYP, PROOF_WINDOW_SECONDS } from './proof.ts';
import { appSchemas, deviceView } from './schemas.ts';

/** Adds routes to the app API's scope (QR sign-in approval, CIBA, sharing): use `scope.requireDevice` as preHandler. */
export type AppApiExtension = (scope: FastifyInstance) => Promise<void>;

export interface AppApiOptions {
  services: AccountServices;
  issuer: string;
  checkResponses: boolean;
  /** Enrolment attempts per address and minute (like the sign-in form). */
  signInRatePerMinute: number;
  extensions?: AppApiExtension[];
}

const NOT_FOUND: Refusal = { status: 404, error: 'not_found', description: 'no such device is bound to this account' };

export function refuse(reply: FastifyReply, refusal: Refusal) {
  return reply
    .code(refusal.status)
    .header('cache-control', 'no-store')
    .send({ error: refusal.error, error_description: refusal.description, ...(refusal.attemptsLeft !== undefined ? { attempts_left: refusal.attemptsLeft } : {}) });
}

export async function appApi(app: FastifyInstance, options: AppApiOptions) {
  const { services, issuer } = options;
  const db = services.registration.db;
  await apiDocument(app, {
    title: 'dinhdanh e-ID app API',
    description:
      'The API the citizen\'s e-ID app calls. A device is bound to a level-2 account by an enrolment (personal ID number, password, SMS code, ' +
      'an ES256 key generated on the device). Every later request carries a Device-Proof header: a compact JWS (ES256) by the device key, ' +
      `protected header {typ: "${PROOF_TYP}", alg: "ES256", kid: device_id}, payload {htm, htu (URL without query), iat (within ${PROOF_WINDOW_SECONDS} s), ` +
      'jti (unique, used once), bsh (base64url SHA-256 of the body as sent, when there is one)}.',
    version: '1',
    path: '/app/openapi.json',
    server: issuer,
    checkResponses: options.checkResponses,
    securityScheme: { name: 'deviceProof', scheme: { type: 'apiKey', in: 'header', name: 'Device-Proof', description: 'a fresh proof signed by the device key for this request (see the description above)' } },
  });
  deviceScope(app, { db, now: services.now, issuer });
  const limited = { rateLimit: { max: options.signInRatePerMinute, timeWindow: 60_000, groupId: SIGN_IN_FORMS } };
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.post<{ Body: { personal_id: string; password: string } }>('/app/enrolments', { schema: appSchemas.startEnrolment, config: limited }, async (request, reply) => {
    const outcome = await startEnrolment(services, { personalId: request.body.personal_id, password: request.body.password });
    if (!outcome.ok) return refuse(reply, outcome.refusal);
    const { enrolmentId, challenge, expiresIn } = outcome.value;
    return noStore(reply).code(201).send({ enrolment_id: enrolmentId, challenge, expires_in: expiresIn });
  });

  type Complete = { Params: { id: string }; Body: { code: string; public_jwk: unknown; device_name: string; signature: string } };
  app.post<Complete>('/app/enrolments/:id/complete', { schema: appSchemas.completeEnrolment, config: limited }, async (request, reply) => {
    const { code, public_jwk, device_name, signature } = request.body;
    const outcome = await completeEnrolment(services, { enrolmentId: request.params.id, code, publicJwk: public_jwk, deviceName: device_name, signature, ip: request.ip });
    if (!outcome.ok) return refuse(reply, outcome.refusal);
    return noStore(reply).code(201).send({ device_id: outcome.value.deviceId, name: outcome.value.name });
  });

  app.get('/app/devices/me', { schema: appSchemas.me, preHandler: app.requireDevice }, async (request, reply) => {
    const device = request.device!;
    const account = await services.accounts.findById(device.accountId);
    return noStore(reply).send({ device: deviceView(device), citizen: { name: account ? fullName(account) : '', level: 2 } });
  });

  app.get('/app/devices', { schema: appSchemas.list, preHandler: app.requireDevice }, async (request, reply) =>
    noStore(reply).send({ devices: (await devicesOf(db, request.device!.accountId)).map(deviceView) }),
  );

  app.patch<{ Params: { id: string }; Body: { name: string } }>('/app/devices/:id', { schema: appSchemas.rename, preHandler: app.requireDevice }, async (request, reply) => {
    const accountId = request.device!.accountId;
    const name = deviceName(request.body.name);
    if (!name) return refuse(reply, { status: 400, error: 'invalid_request', description: 'name: 1 to 60 characters' });
    if (!(await renameDevice(db, accountId, request.params.id, name))) return refuse(reply, NOT_FOUND);
    const renamed = (await devicesOf(db, accountId)).find((d) => d.id === request.params.id)!;
    return noStore(reply).send(deviceView(renamed));
  });

  app.delete<{ Params: { id: string } }>('/app/devices/:id', { schema: appSchemas.remove, preHandler: app.requireDevice }, async (request, reply) => {
    const device = request.device!;
    const at = services.now();
    if (!(await removeDevice(db, device.accountId, request.params.id, at))) return refuse(reply, NOT_FOUND);
    await recordAudit(db, { actor: { type: 'citizen', id: device.accountId }, action: 'device.removed', subject: { type: 'account', id: device.accountId }, detail: { device: request.params.id, by: 'app' }, ip: request.ip, at });
    return reply.code(204).send();
  });

  for (const extend of options.extensions ?? []) await extend(app);
}

export { DEVICE_PROOF_HEADER };
