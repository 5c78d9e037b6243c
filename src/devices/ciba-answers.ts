// The citizen's answer to a bank's back-channel (CIBA) request, given in the e-ID app: approval makes the grant and
// hands it to the provider (provider.backchannelResult), which pings a ping-mode bank; denial hands it access_denied.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import Provider, { errors } from 'oidc-provider';
import { recordAudit } from '../audit/audit.ts';
import type { Schema } from '../db/schema.ts';
import { acrForLevel } from '../oidc/claims.ts';
import { answerCibaRequest, pendingCibaRequests, type PendingCibaRequest } from './ciba-requests.ts';
import { amrFor } from './qr-sign-in/amr.ts';
import type { UserVerification } from './qr-sign-in/requests.ts';

// How the citizen unlocked the device key, in RFC 8176 terms: one mapping for every approval in the app.
export { USER_VERIFICATIONS } from './qr-sign-in/amr.ts';
export type { UserVerification } from './qr-sign-in/requests.ts';

export type CibaProblem = 'unknown' | 'expired' | 'answered';
export type CibaOutcome = { ok: true } | { ok: false; problem: CibaProblem };

/** The device answering: the devices core's request.device. */
export interface AnsweringDevice {
  id: string;
  accountId: string;
}

export interface CibaAnswers {
  pending(accountId: string): Promise<PendingCibaRequest[]>;
  approve(device: AnsweringDevice, id: string, verification: UserVerification, ip?: string): Promise<CibaOutcome>;
  deny(device: AnsweringDevice, id: string, ip?: string): Promise<CibaOutcome>;
}

export function cibaAnswers(deps: { db: Kysely<Schema>; provider: Provider; now: () => Date; logger: Logger }): CibaAnswers {
  const { db, provider, now, logger } = deps;

  /** Hands the result to the provider. A ping that fails is the bank's problem: the result is saved, it can still poll. */
  type Request = InstanceType<Provider['BackchannelAuthenticationRequest']>;
  async function deliver(request: Request, result: InstanceType<Provider['Grant']> | errors.OIDCProviderError, options: Record<string, unknown> = {}) {
    try {
      await provider.backchannelResult(request, result, options);
    } catch (error) {
      logger.warn({ err: error }, 'CIBA result: the client notification (ping) failed');
    }
  }

  async function answer(device: AnsweringDevice, id: string, decision: 'approved' | 'denied') {
    const at = now();
    const outcome = await answerCibaRequest(db, { id, accountId: device.accountId, deviceId: device.id, decision, now: at });
    if (!outcome.ok) return { outcome, at };
    // The provider's request may have just expired by its own clock: then nothing more can happen to it.
    const request = await provider.BackchannelAuthenticationRequest.find(outcome.authReqId);
    if (!request || request.accountId !== device.accountId) return { outcome: { ok: false as const, reason: 'expired' as const }, at };
    return { outcome, request, at };
  }

  const audit = (device: AnsweringDevice, clientId: string, action: string, at: Date, ip: string | undefined, detail: Record<string, unknown> = {}) =>
    recordAudit(db, { actor: { type: 'citizen', id: device.accountId }, action, subject: { type: 'relying_party', id: clientId }, detail: { device: device.id, ...detail }, ip, at });

  return {
    pending: (accountId) => pendingCibaRequests(db, accountId, now()),

    async approve(device, id, verification, ip) {
      const { outcome, request, at } = await answer(device, id, 'approved');
      if (!outcome.ok || !request) return { ok: false, problem: outcome.ok ? 'expired' : outcome.reason };
      // The grant is exactly what the bank asked for: the request's scope (already within its approval) and the
      // claims it named; the release rule (findAccount's claims) still bounds every claim by approval and level.
      const grant = new provider.Grant({ accountId: device.accountId, clientId: outcome.clientId });
      if (request.scope) grant.addOIDCScope(request.scope);
      const claims = request.claims as { id_token?: object; userinfo?: object } | undefined;
      const named = [...Object.keys(claims?.id_token ?? {}), ...Object.keys(claims?.userinfo ?? {})];
      if (named.length) grant.addOIDCClaims(named);
      await grant.save();
      await deliver(request, grant, { acr: acrForLevel(outcome.level), amr: amrFor(verification), authTime: Math.floor(at.getTime() / 1000) });
      await audit(device, outcome.clientId, 'ciba.approved', at, ip, { user_verification: verification });
      return { ok: true };
    },

    async deny(device, id, ip) {
      const { outcome, request, at } = await answer(device, id, 'denied');
      if (!outcome.ok || !request) return { ok: false, problem: outcome.ok ? 'expired' : outcome.reason };
      // backchannelResult stores the error's description as error_description, which the request does not keep
      // (its payload field is errorDescription: oidc-provider lib/provider.js backchannelResult, and
      // lib/models/backchannel_authentication_request.js IN_PAYLOAD); set on the instance, it is saved with it.
      const description = 'the citizen denied the request in the e-ID app';
      Object.assign(request, { errorDescription: description });
      await deliver(request, new errors.AccessDenied(description));
      await audit(device, outcome.clientId, 'ciba.denied', at, ip);
      return { ok: true };
    },
  };
}
