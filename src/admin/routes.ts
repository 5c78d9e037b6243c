// The officer API (JSON): sign in, look up citizens, file applications, decide them, lock and unlock accounts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditTrail, recordAudits, type AuditEvent } from '../audit/audit.ts';
import { lockoutQueries, type LockoutPolicy } from '../accounts/lockout.ts';
import { decideApplication, fileApplication, type Refusal } from '../accounts/registration.ts';
import type { AccountServices } from '../accounts/services.ts';
import type { AccountLevel, ApplicationStatus, DocumentKind } from '../db/schema.ts';
import { apiDocument } from '../http/openapi.ts';
import { listOfficers, officerForToken, signOutOfficer, unlockOfficer, type OfficerIdentity } from './officers.ts';
import { schemas } from './route-schemas.ts';
import { OFFICER_FAILURES, officerSessionRoutes } from './session-routes.ts';
import { totpSealer } from './totp.ts';
import { normalizeMobile } from '../accounts/phone.ts';
import { accountView, applicationView, citizenView, citizenOfAccount } from './views.ts';
import type { Reach } from '../db/notifications.ts';
import { answerOnceInEffect } from '../http/changes-in-effect.ts';

declare module 'fastify' {
  interface FastifyRequest {
    officer?: OfficerIdentity;
  }
}

const bearer = (request: FastifyRequest) => /^Bearer ([A-Za-z0-9_-]{20,100})$/.exec(request.headers.authorization ?? '')?.[1];

function refused(reply: FastifyReply, refusal: Refusal) {
  return reply.code(refusal.status).send({ error: refusal.error, error_description: refusal.description });
}

export interface AdminRouteOptions {
  services: AccountServices;
  sessionSeconds: number;
  /** Failed officer sign-ins per username that lock it, and for how long. */
  lockout: LockoutPolicy;
  /** The issuer: the base URL in the published OpenAPI document. */
  issuer: string;
  /** Check every answer against its response schema (outside production). */
  checkResponses: boolean;
  /** Waits until every instance has heard of the changes committed so far (src/db/notifications.ts). */
  reachEveryInstance(): Promise<Reach>;
}

export async function adminRoutes(app: FastifyInstance, { services, sessionSeconds, lockout, issuer, checkResponses, reachEveryInstance }: AdminRouteOptions) {
  const db = services.registration.db;
  const now = services.now;
  await apiDocument(app, {
    title: 'dinhdanh officer API',
    description: 'The police desk: officers sign in (password and TOTP), look up citizens, file and decide applications, lock, unlock and revoke accounts. Refusals are {error, error_description} with a stable error code.',
    version: '1',
    path: '/admin/openapi.json',
    server: issuer,
    checkResponses,
    tokenDescription: 'the token from POST /admin/sessions (password and TOTP code), valid for the officer session lifetime',
  });

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
      const path = request.url.split('?')[0]!;
      if (officer.role === 'operator' && path !== '/admin/me' && !path.startsWith('/admin/sessions/current')) {
        return reply.code(403).send({ error: 'officers_only', error_description: 'an operator session opens the operator API (/operator), not the officer API' });
      }
      request.officer = officer;
    });
    const officerOf = (request: FastifyRequest) => request.officer!;
    // Reads leave a trace too: a register must answer "who looked at my record, and when". The event is written
    // before the data goes out, so no record is shown that the audit trail does not know of (a failed write
    // answers an error, not the data). Subjects by id: the account, or a citizen without one by the record's key.
    const viewed = (request: FastifyRequest, action: string, subjects: AuditEvent['subject'][], detail?: Record<string, unknown>) =>
      recordAudits(db, subjects.map((subject) => ({ actor: { type: 'officer', id: officerOf(request).id }, action, subject, detail, ip: request.ip, at: now() })));
    // Every officer action is a security event: who, which route (its pattern: never the ID number in the path), outcome.
    // An account locked or revoked is so on every instance once the officer has the answer.
    answerOnceInEffect(secured, reachEveryInstance);
    secured.addHook('onResponse', async (request, reply) => {
      if (!request.officer) return;
      request.log.info(
        { event: 'officer.action', officer: request.officer.id, method: request.method, route: request.routeOptions.url, status: reply.statusCode },
        'officer action',
      );
    });

    secured.get('/admin/me', { schema: schemas.me }, async (request) => officerOf(request));

    secured.delete('/admin/sessions/current', { schema: schemas.signOut }, async (request, reply) => {
      await signOutOfficer(db, bearer(request)!);
      return reply.code(204).send();
    });

    secured.get<{ Params: { personalId: string } }>('/admin/citizens/:personalId', {
      schema: schemas.citizen,
    }, async (request, reply) => {
      const view = await citizenView(db, request.params.personalId, now());
      if (!view) return reply.code(404).send({ error: 'no_record', error_description: 'no population record has this personal ID number' });
      await viewed(request, 'citizen.viewed', [view.account ? { type: 'account', id: view.account.id } : { type: 'citizen', id: view.personal_id }]);
      return view;
    });

    secured.post<{ Body: { personal_id: string; phone: string; email?: string; requested_level: AccountLevel; dependents?: string[]; documents?: DocumentKind[] } }>('/admin/applications', {
      schema: schemas.fileApplication,
    }, async (request, reply) => {
      const b = request.body;
      const result = await fileApplication(services.registration, officerOf(request), {
        personalId: b.personal_id, phone: b.phone, email: b.email, requestedLevel: b.requested_level, dependents: b.dependents, documents: b.documents,
      }, request.ip);
      return result.ok ? reply.code(201).send(applicationView(result.application)) : refused(reply, result);
    });

    secured.get<{ Querystring: { status?: ApplicationStatus } }>('/admin/applications', {
      schema: schemas.listApplications,
    }, async (request) => {
      let query = db.selectFrom('account_applications').selectAll().orderBy('filed_at').limit(200);
      if (request.query.status) query = query.where('status', '=', request.query.status);
      const applications = await query.execute();
      await viewed(request, 'application.viewed', applications.map((a) => ({ type: 'application', id: a.id })), { via: 'queue' });
      return { applications: applications.map(applicationView) };
    });

    secured.get<{ Params: { id: string } }>('/admin/applications/:id', { schema: schemas.application }, async (request, reply) => {
      const application = await db.selectFrom('account_applications').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!application) return reply.code(404).send({ error: 'no_application', error_description: 'no application has this id' });
      await viewed(request, 'application.viewed', [{ type: 'application', id: application.id }]);
      return applicationView(application);
    });

    secured.post<{ Params: { id: string } }>('/admin/applications/:id/approve', { schema: schemas.approve }, async (request, reply) => {
      const result = await decideApplication(services.registration, officerOf(request), request.params.id, { decision: 'approve' }, request.ip);
      return result.ok ? { status: result.status, account_id: result.status === 'approved' ? result.accountId : undefined } : refused(reply, result);
    });

    secured.post<{ Params: { id: string }; Body: { reason: string } }>('/admin/applications/:id/reject', {
      schema: schemas.reject,
    }, async (request, reply) => {
      const result = await decideApplication(services.registration, officerOf(request), request.params.id, { decision: 'reject', reason: request.body.reason }, request.ip);
      return result.ok ? { status: result.status } : refused(reply, result);
    });

    secured.get<{ Params: { id: string } }>('/admin/accounts/:id', { schema: schemas.account }, async (request, reply) => {
      const view = await accountView(db, request.params.id);
      if (!view) return reply.code(404).send({ error: 'no_account', error_description: 'no account has this id' });
      await viewed(request, 'account.viewed', [{ type: 'account', id: view.id }]);
      return view;
    });

    secured.post<{ Params: { id: string }; Body: { reason: string } }>('/admin/accounts/:id/lock', {
      schema: schemas.lock,
    }, async (request, reply) => {
      const locked = await services.lifecycle.lockByOfficer(request.params.id, { officerId: officerOf(request).id, reason: request.body.reason, ip: request.ip });
      return locked ? accountView(db, request.params.id) : reply.code(409).send({ error: 'not_lockable', error_description: 'no such account, or it is revoked' });
    });

    secured.post<{ Params: { id: string } }>('/admin/accounts/:id/unlock', { schema: schemas.unlock }, async (request, reply) => {
      const unlocked = await services.lifecycle.unlockByOfficer(request.params.id, { officerId: officerOf(request).id, ip: request.ip });
      return unlocked ? accountView(db, request.params.id) : reply.code(409).send({ error: 'not_locked', error_description: 'no such account, or it is not locked' });
    });

    // The citizen brings a new phone number to the desk in person. A supervisor makes the change: it hands the
    // account's recovery channel (reset and sign-in codes) to another number, the step a takeover would need.
    secured.post<{ Params: { id: string }; Body: { phone: string; reason: string } }>('/admin/accounts/:id/phone', {
      schema: schemas.changePhone,
    }, async (request, reply) => {
      if (officerOf(request).role !== 'supervisor') return reply.code(403).send({ error: 'supervisor_only', error_description: 'only a supervisor changes an account\'s phone' });
      const phone = normalizeMobile(request.body.phone);
      if (!phone) return reply.code(422).send({ error: 'invalid_phone', error_description: 'phone must be a Vietnamese mobile number' });
      const outcome = await services.lifecycle.changePhoneByOfficer(request.params.id, phone, { officerId: officerOf(request).id, reason: request.body.reason, ip: request.ip });
      if (outcome === 'no_account') return reply.code(404).send({ error: 'no_account', error_description: 'no account has this id' });
      if (outcome === 'revoked') return reply.code(409).send({ error: 'not_changeable', error_description: 'the account is revoked' });
      if (outcome === 'unchanged') return reply.code(409).send({ error: 'phone_unchanged', error_description: 'this is the account\'s phone already' });
      return accountView(db, request.params.id);
    });

    secured.post<{ Params: { id: string }; Body: { reason: string } }>('/admin/accounts/:id/revoke', {
      schema: schemas.revoke,
    }, async (request, reply) => {
      if (officerOf(request).role !== 'supervisor') return reply.code(403).send({ error: 'supervisor_only', error_description: 'only a supervisor revokes an account' });
      const revoked = await services.lifecycle.revokeByOfficer(request.params.id, { officerId: officerOf(request).id, reason: request.body.reason, ip: request.ip });
      return revoked ? accountView(db, request.params.id) : reply.code(409).send({ error: 'not_revocable', error_description: 'no such account, or it is already revoked' });
    });

    // A supervisor sees which officers are locked out and lifts a lock (the CLI can too).
    secured.get('/admin/officers', { schema: schemas.officers }, async (request, reply) => {
      if (officerOf(request).role !== 'supervisor') return reply.code(403).send({ error: 'supervisor_only', error_description: 'only a supervisor lists officers' });
      const officers = await listOfficers(db, now());
      await viewed(request, 'officers.listed', [undefined], { officers: officers.length });
      return { officers: officers.map((o) => ({ ...o, lockedUntil: o.lockedUntil?.toISOString() ?? null })) };
    });

    secured.post<{ Params: { username: string } }>('/admin/officers/:username/unlock', {
      schema: schemas.unlockOfficer,
    }, async (request, reply) => {
      if (officerOf(request).role !== 'supervisor') return reply.code(403).send({ error: 'supervisor_only', error_description: 'only a supervisor unlocks an officer' });
      const result = await unlockOfficer(db, request.params.username, { actor: { type: 'officer', id: officerOf(request).id }, ip: request.ip, now: now() });
      if (result === 'unknown') return reply.code(404).send({ error: 'no_officer', error_description: 'no officer has this username' });
      if (result === 'not_locked') return reply.code(409).send({ error: 'not_locked', error_description: 'this officer is not locked' });
      request.log.info({ event: 'officer.unlocked', by: officerOf(request).id }, 'officer sign-in lock lifted');
      return { status: 'unlocked' };
    });

    secured.get<{ Params: { id: string } }>('/admin/accounts/:id/audit', { schema: schemas.audit }, async (request, reply) => {
      if (officerOf(request).role !== 'supervisor') return reply.code(403).send({ error: 'supervisor_only', error_description: 'only a supervisor reads the audit trail' });
      // The account's own events, and the lookups of its citizen's record made before the account existed.
      const personalId = await citizenOfAccount(db, request.params.id);
      const events = await auditTrail(db, { type: 'account', id: request.params.id }, ...(personalId ? [{ type: 'citizen', id: personalId }] : []));
      // Reading the trail is a read of the account too; it shows in the next reading.
      if (personalId) await viewed(request, 'account.audit_viewed', [{ type: 'account', id: request.params.id }]);
      return { events };
    });
  });
}
