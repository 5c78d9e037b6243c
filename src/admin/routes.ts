// The officer API (JSON): sign in, look up citizens, file applications, decide them, lock and unlock accounts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditTrail } from '../audit/audit.ts';
import { lockoutQueries, type LockoutPolicy } from '../accounts/lockout.ts';
import { decideApplication, fileApplication, type Refusal } from '../accounts/registration.ts';
import type { AccountServices } from '../accounts/services.ts';
import type { AccountLevel, ApplicationStatus, DocumentKind } from '../db/schema.ts';
import { listOfficers, officerForToken, signOutOfficer, unlockOfficer, USERNAME, type OfficerIdentity } from './officers.ts';
import { OFFICER_FAILURES, officerSessionRoutes } from './session-routes.ts';
import { totpSealer } from './totp.ts';
import { accountView, applicationView, citizenView } from './views.ts';

declare module 'fastify' {
  interface FastifyRequest {
    officer?: OfficerIdentity;
  }
}

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const PERSONAL_ID = '^[0-9]{12}$';
const idParams = { type: 'object', properties: { id: { type: 'string', pattern: UUID } }, required: ['id'] } as const;

const bearer = (request: FastifyRequest) => /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(request.headers.authorization ?? '')?.[1];

function refused(reply: FastifyReply, refusal: Refusal) {
  return reply.code(refusal.status).send({ error: refusal.error, error_description: refusal.description });
}

export interface AdminRouteOptions {
  services: AccountServices;
  sessionSeconds: number;
  /** Failed officer sign-ins per username that lock it, and for how long. */
  lockout: LockoutPolicy;
}

export async function adminRoutes(app: FastifyInstance, { services, sessionSeconds, lockout }: AdminRouteOptions) {
  const db = services.registration.db;
  const now = services.now;

  await app.register(officerSessionRoutes, {
    signIn: { db, passwords: services.passwords, lockout: lockoutQueries(db, lockout, now, OFFICER_FAILURES), sealer: totpSealer(services.secondFactor.secret), now, sessionSeconds },
  });

  // Everything else needs an officer's bearer token.
  await app.register(async (secured) => {
    secured.addHook('onRequest', async (request, reply) => {
      const token = bearer(request);
      const officer = token ? await officerForToken(db, token, now()) : undefined;
      if (!officer) {
        reply.header('www-authenticate', 'Bearer realm="dinhdanh-admin"');
        return reply.code(401).send({ error: 'invalid_token', error_description: 'an officer session token is required' });
      }
      // Least privilege: an operator runs the client registry (/operator) and never sees citizens or accounts.
      if (officer.role === 'operator' && request.url !== '/admin/me' && !request.url.startsWith('/admin/sessions/current')) {
        return reply.code(403).send({ error: 'officers_only', error_description: 'an operator session opens the operator API (/operator), not the officer API' });
      }
      request.officer = officer;
    });
    const officerOf = (request: FastifyRequest) => request.officer!;
    // Every officer action is a security event: who, which route (its pattern: never the ID number in the path), outcome.
    secured.addHook('onResponse', async (request, reply) => {
      if (!request.officer) return;
      request.log.info(
        { event: 'officer.action', officer: request.officer.id, method: request.method, route: request.routeOptions.url, status: reply.statusCode },
        'officer action',
      );
    });

    secured.get('/admin/me', async (request) => officerOf(request));

    secured.delete('/admin/sessions/current', async (request, reply) => {
      await signOutOfficer(db, bearer(request)!);
      return reply.code(204).send();
    });

    secured.get<{ Params: { personalId: string } }>('/admin/citizens/:personalId', {
      schema: { params: { type: 'object', properties: { personalId: { type: 'string', pattern: PERSONAL_ID } }, required: ['personalId'] } },
    }, async (request, reply) => {
      const view = await citizenView(db, request.params.personalId, now());
      return view ?? reply.code(404).send({ error: 'no_record', error_description: 'no population record has this personal ID number' });
    });

    secured.post<{ Body: { personal_id: string; phone: string; email?: string; requested_level: AccountLevel; dependents?: string[]; documents?: DocumentKind[] } }>('/admin/applications', {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['personal_id', 'phone', 'requested_level'],
          properties: {
            personal_id: { type: 'string', pattern: PERSONAL_ID },
            phone: { type: 'string', minLength: 9, maxLength: 20 },
            email: { type: 'string', maxLength: 254, pattern: '^[^@\\s]+@[^@\\s]+$' },
            requested_level: { type: 'integer', enum: [1, 2] },
            dependents: { type: 'array', maxItems: 20, items: { type: 'string', pattern: PERSONAL_ID } },
            documents: { type: 'array', maxItems: 4, items: { type: 'string', enum: ['driver_license', 'vehicle_registration', 'health_insurance', 'social_insurance'] } },
          },
        },
      },
    }, async (request, reply) => {
      const b = request.body;
      const result = await fileApplication(services.registration, officerOf(request), {
        personalId: b.personal_id, phone: b.phone, email: b.email, requestedLevel: b.requested_level, dependents: b.dependents, documents: b.documents,
      }, request.ip);
      return result.ok ? reply.code(201).send(applicationView(result.application)) : refused(reply, result);
    });

    secured.get<{ Querystring: { status?: ApplicationStatus } }>('/admin/applications', {
      schema: { querystring: { type: 'object', properties: { status: { type: 'string', enum: ['applied', 'approved', 'rejected'] } } } },
    }, async (request) => {
      let query = db.selectFrom('account_applications').selectAll().orderBy('filed_at').limit(200);
      if (request.query.status) query = query.where('status', '=', request.query.status);
      return { applications: (await query.execute()).map(applicationView) };
    });

    secured.get<{ Params: { id: string } }>('/admin/applications/:id', { schema: { params: idParams } }, async (request, reply) => {
      const application = await db.selectFrom('account_applications').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      return application ? applicationView(application) : reply.code(404).send({ error: 'no_application', error_description: 'no application has this id' });
    });

    secured.post<{ Params: { id: string } }>('/admin/applications/:id/approve', { schema: { params: idParams } }, async (request, reply) => {
      const result = await decideApplication(services.registration, officerOf(request), request.params.id, { decision: 'approve' }, request.ip);
      return result.ok ? { status: result.status, account_id: result.status === 'approved' ? result.accountId : undefined } : refused(reply, result);
    });

    secured.post<{ Params: { id: string }; Body: { reason: string } }>('/admin/applications/:id/reject', {
      schema: { params: idParams, body: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } } } },
    }, async (request, reply) => {
      const result = await decideApplication(services.registration, officerOf(request), request.params.id, { decision: 'reject', reason: request.body.reason }, request.ip);
      return result.ok ? { status: result.status } : refused(reply, result);
    });

    secured.get<{ Params: { id: string } }>('/admin/accounts/:id', { schema: { params: idParams } }, async (request, reply) => {
      const view = await accountView(db, request.params.id);
      return view ?? reply.code(404).send({ error: 'no_account', error_description: 'no account has this id' });
    });

    secured.post<{ Params: { id: string }; Body: { reason: string } }>('/admin/accounts/:id/lock', {
      schema: { params: idParams, body: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } } } },
    }, async (request, reply) => {
      const locked = await services.lifecycle.lockByOfficer(request.params.id, { officerId: officerOf(request).id, reason: request.body.reason, ip: request.ip });
      return locked ? accountView(db, request.params.id) : reply.code(409).send({ error: 'not_lockable', error_description: 'no such account, or it is revoked' });
    });

    secured.post<{ Params: { id: string } }>('/admin/accounts/:id/unlock', { schema: { params: idParams } }, async (request, reply) => {
      const unlocked = await services.lifecycle.unlockByOfficer(request.params.id, { officerId: officerOf(request).id, ip: request.ip });
      return unlocked ? accountView(db, request.params.id) : reply.code(409).send({ error: 'not_locked', error_description: 'no such account, or it is not locked' });
    });

    secured.post<{ Params: { id: string }; Body: { reason: string } }>('/admin/accounts/:id/revoke', {
      schema: { params: idParams, body: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } } } },
    }, async (request, reply) => {
      if (officerOf(request).role !== 'supervisor') return reply.code(403).send({ error: 'supervisor_only', error_description: 'only a supervisor revokes an account' });
      const revoked = await services.lifecycle.revokeByOfficer(request.params.id, { officerId: officerOf(request).id, reason: request.body.reason, ip: request.ip });
      return revoked ? accountView(db, request.params.id) : reply.code(409).send({ error: 'not_revocable', error_description: 'no such account, or it is already revoked' });
    });

    // A supervisor sees which officers are locked out and lifts a lock (the CLI can too).
    secured.get('/admin/officers', async (request, reply) => {
      if (officerOf(request).role !== 'supervisor') return reply.code(403).send({ error: 'supervisor_only', error_description: 'only a supervisor lists officers' });
      return { officers: (await listOfficers(db, now())).map((o) => ({ ...o, lockedUntil: o.lockedUntil?.toISOString() ?? null })) };
    });

    secured.post<{ Params: { username: string } }>('/admin/officers/:username/unlock', {
      schema: { params: { type: 'object', properties: { username: { type: 'string', pattern: USERNAME.source } }, required: ['username'] } },
    }, async (request, reply) => {
      if (officerOf(request).role !== 'supervisor') return reply.code(403).send({ error: 'supervisor_only', error_description: 'only a supervisor unlocks an officer' });
      const result = await unlockOfficer(db, request.params.username, { actor: { type: 'officer', id: officerOf(request).id }, ip: request.ip, now: now() });
      if (result === 'unknown') return reply.code(404).send({ error: 'no_officer', error_description: 'no officer has this username' });
      if (result === 'not_locked') return reply.code(409).send({ error: 'not_locked', error_description: 'this officer is not locked' });
      request.log.info({ event: 'officer.unlocked', by: officerOf(request).id }, 'officer sign-in lock lifted');
      return { status: 'unlocked' };
    });

    secured.get<{ Params: { id: string } }>('/admin/accounts/:id/audit', { schema: { params: idParams } }, async (request, reply) => {
      if (officerOf(request).role !== 'supervisor') return reply.code(403).send({ error: 'supervisor_only', error_description: 'only a supervisor reads the audit trail' });
      return { events: await auditTrail(db, { type: 'account', id: request.params.id }) };
    });
  });
}
