// POST /admin/sessions (password + TOTP code) and POST /admin/sessions/enrolment (first sign-in: confirm the
// new authenticator with a current code). See sign-in.ts for what each answer tells a guesser.
import { finished } from 'node:stream/promises';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { FailureStore } from '../accounts/lockout.ts';
import { recordAudit } from '../audit/audit.ts';
import { schemas } from './route-schemas.ts';
import { confirmEnrolment, signIn, type OfficerSignInDeps, type SignInOutcome } from './sign-in.ts';

export const OFFICER_FAILURES: FailureStore = { table: 'officer_sign_in_failures', key: 'username' };

// Officer passwords guard every citizen's registration: few tries per address (the lockout counts per name).
const rateLimit = { max: 10, timeWindow: 60_000 };

function locked(reply: FastifyReply, until: Date, now: Date) {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return reply
    .code(429)
    .header('retry-after', String(seconds))
    .send({ error: 'temporarily_locked', error_description: 'too many failed sign-ins for this username; try again later or ask a supervisor', locked_until: until.toISOString() });
}

function session(reply: FastifyReply, outcome: Extract<SignInOutcome, { kind: 'session' }>) {
  return reply.code(201).send({ token: outcome.token, token_type: 'Bearer', expires_at: outcome.expiresAt, officer: outcome.officer });
}

/**
 * Security events, without names or codes: the officer's id when the name is an officer's. A known officer's
 * failure also goes to the audit trail, once the answer is out (an extra write only for real names would show).
 */
function logFailure(request: FastifyRequest, reply: FastifyReply, db: OfficerSignInDeps['db'], officerId: string | undefined, lockedUntil: Date | null) {
  request.log.info({ event: 'officer.sign_in_failed', officerId }, 'officer sign-in failed');
  if (lockedUntil) request.log.warn({ event: 'officer.locked', officerId, lockedUntil }, 'officer username locked after failed sign-ins');
  if (officerId) {
    finished(reply.raw)
      .catch(() => {})
      .then(() => recordAudit(db, { actor: { type: 'system' }, action: 'officer.sign_in_failed', subject: { type: 'officer', id: officerId }, ip: request.ip }))
      .catch((error: unknown) => request.log.warn({ err: error }, 'audit of an officer sign-in failure failed'));
  }
}

export const officerSessionRoutes: FastifyPluginAsync<{ signIn: OfficerSignInDeps }> = async (app, { signIn: deps }) => {
  app.post<{ Body: { username: string; password: string; otp?: string } }>('/admin/sessions', {
    config: { rateLimit },
    schema: schemas.signIn,
  }, async (request, reply) => {
    const outcome = await signIn(deps, { ...request.body, ip: request.ip });
    switch (outcome.kind) {
      case 'session':
        return session(reply, outcome);
      case 'enrolment':
        return reply.code(200).send({
          enrolment_required: 'totp',
          enrolment_token: outcome.token,
          expires_at: outcome.expiresAt,
          totp: { secret: outcome.secret, uri: outcome.uri, algorithm: 'SHA1', digits: 6, period: 30 },
          next: 'POST /admin/sessions/enrolment with enrolment_token and otp, a current code from the authenticator',
        });
      case 'locked':
        request.log.info({ event: 'officer.sign_in_refused_locked' }, 'officer sign-in refused: username locked');
        return locked(reply, outcome.until, deps.now());
      case 'refused':
        logFailure(request, reply, deps.db, outcome.officerId, outcome.lockedUntil);
        return reply.code(401).send({ error: 'invalid_credentials', error_description: 'wrong username, password or one-time code' });
    }
  });

  app.post<{ Body: { enrolment_token: string; otp: string } }>('/admin/sessions/enrolment', {
    config: { rateLimit },
    schema: schemas.confirmEnrolment,
  }, async (request, reply) => {
    const outcome = await confirmEnrolment(deps, { enrolmentToken: request.body.enrolment_token, otp: request.body.otp, ip: request.ip });
    switch (outcome.kind) {
      case 'session':
        request.log.info({ event: 'officer.enrolled', officerId: outcome.officer.id }, 'officer enrolled an authenticator');
        return session(reply, outcome);
      case 'locked':
        return locked(reply, outcome.until, deps.now());
      case 'unknown_enrolment':
        return reply.code(401).send({ error: 'invalid_enrolment', error_description: 'the enrolment token is unknown or expired; sign in with the password again' });
      case 'wrong_code':
        logFailure(request, reply, deps.db, undefined, outcome.lockedUntil);
        // Whoever holds this token already proved the password: telling the code was wrong gives nothing away.
        return reply.code(401).send({ error: 'invalid_otp', error_description: 'this is not a current code for the new secret; check the authenticator app and the clock' });
      case 'refused':
        return reply.code(401).send({ error: 'invalid_enrolment', error_description: 'the enrolment token is unknown or expired; sign in with the password again' });
    }
  });
};
