// CIBA (OpenID Connect Client-Initiated Backchannel Authentication Core 1.0) for banks: oidc-provider's `ciba`
// feature, configured here. A bank's back office names the citizen by personal ID number; the citizen approves or
// denies in the e-ID app (src/devices/ciba-answers.ts calls provider.backchannelResult). This file returns the
// configuration slice and the registry rule; the polling pace and error wording are in ciba-protocol.ts.
import { createHmac, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { opensToDevices, type Accounts } from '../accounts/accounts.ts';
import { CIBA_GRANT } from '../clients/profiles.ts';
import type { Schema } from '../db/schema.ts';
import { recordCibaRequest, waitingFor } from '../devices/ciba-requests.ts';
import { CATALOGUE, CLAIM_SCOPE } from './claims.ts';
import { approvedLevel, requiredLevel, unmetEssentialAcr } from './levels.ts';
import { writeHeld } from './request-memo.ts';

/**
 * A client is approved for CIBA when its registration lists the CIBA grant type, which an operator approves with
 * the rest of the registration (POST /operator/clients, then approve); the provider itself refuses /backchannel to
 * every client without it (ciba-protocol.ts words that as unauthorized_client).
 */
export { CIBA_GRANT };

/** Profiles that may be approved for CIBA: banks, and sandbox clients so developers can try it. */
const CIBA_PROFILES = new Set(['bank', 'sandbox']);

const PERSONAL_ID = /^\d{12}$/;
// Short, plain text the citizen compares with what the bank shows: letters of any script (Vietnamese included),
// digits, spaces and a little punctuation; nothing that could pass for markup.
const BINDING_MESSAGE = /^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N} .,:#/()+?!_-]{0,39}$/u;

/** Requests one client may have waiting for one ID number: the app is not a channel to wear a citizen down. */
export const MAX_WAITING = 3;

const tooManyWaiting = () =>
  new errors.AccessDenied(`this client already has ${MAX_WAITING} requests waiting for this citizen's answer: wait until they are answered or expire`);

/** Prefix of the stand-in account id a request for nobody reachable carries (never a UUID, so never an account). */
const STAND_IN = 'ciba-unreachable:';
export const isStandIn = (accountId: string | undefined): boolean => typeof accountId === 'string' && accountId.startsWith(STAND_IN);

export interface CibaDeps {
  db: Kysely<Schema>;
  accounts: Accounts;
  /** Whether the account has a device enrolled in the e-ID app that can be asked. */
  hasDevice(accountId: string): Promise<boolean>;
  /** How long a request waits for the citizen (seconds): also the most a bank may ask with requested_expiry. */
  requestSeconds: number;
  /** How often a polling bank may ask the token endpoint (seconds). */
  pollIntervalSeconds: number;
  now: () => Date;
  /** The server secret login_hint digests are keyed with (the number itself is never stored). */
  hintKey: string;
}

type Features = NonNullable<Configuration['features']>;

export function cibaConfiguration(deps: CibaDeps): { features: Pick<Features, 'ciba'>; ttl: Pick<NonNullable<Configuration['ttl']>, 'BackchannelAuthenticationRequest'> } {
  return {
    features: {
      ciba: {
        enabled: true,
        deliveryModes: ['poll', 'ping'],
        // Every check that needs no account runs here, before the citizen is looked up: the answer to a malformed
        // request never depends on who the ID number belongs to.
        validateRequestContext: async (ctx, requestContext) => checkRequest(ctx, requestContext),
        validateBindingMessage: async (_ctx, message) => checkBindingMessage(message),
        processLoginHint: async (ctx, hint) => reachableAccount(ctx, hint ?? '', deps),
        processLoginHintToken: async () => {
          throw new errors.InvalidRequest('login_hint_token is not supported: send the personal ID number as login_hint');
        },
        // user_code was already refused in validateRequestContext; the app is unlocked by the citizen's PIN or biometrics.
        verifyUserCode: async () => undefined,
        triggerAuthenticationDevice: async (_ctx, request, account, client) => {
          const params = request.params as Record<string, unknown>;
          const scopes = String(request.scope ?? '').split(' ').filter(Boolean);
          const metadata = client.metadata();
          const level = approvedLevel(client);
          // The provider's request is written first: once listed, the app may answer it at once.
          await writeHeld();
          const recorded = await recordCibaRequest(deps.db, {
            authReqId: request.jti,
            accountId: isStandIn(account.accountId) ? null : account.accountId,
            clientId: client.clientId,
            hintDigest: hintDigest(deps.hintKey, String(params.login_hint ?? '')),
            serviceName: String(metadata.client_name ?? metadata['organisation_name'] ?? client.clientId).slice(0, 300),
            serviceDomain: typeof metadata['organisation_domain'] === 'string' ? metadata['organisation_domain'] : null,
            bindingMessage: typeof params.binding_message === 'string' ? params.binding_message : null,
            scopes,
            claims: claimsToRelease(scopes, request.claims as ClaimsRequest | undefined, new Set(String(client.scope ?? '').split(' ')), level),
            level,
            // The provider puts exp in the stored payload only (lib/models/formats/opaque.js): saved just now, iat + ttl.
            expiresAt: new Date(((request.exp as number | undefined) ?? Math.floor(Date.now() / 1000) + request.expiration) * 1000),
            pollInterval: deps.pollIntervalSeconds,
          }, { maxWaiting: MAX_WAITING, now: deps.now() });
          // A burst that passed the early count together: the provider's request stays unlisted and only expires.
          if (!recorded) throw tooManyWaiting();
        },
      },
    },
    ttl: {
      // requested_expiry is honoured between 1 s and the configured lifetime; without it, the configured lifetime.
      BackchannelAuthenticationRequest: (ctx) => {
        const asked = Number(ctx?.oidc?.params?.requested_expiry);
        return Number.isSafeInteger(asked) && asked > 0 ? Math.min(asked, deps.requestSeconds) : deps.requestSeconds;
      },
    },
  };
}

function checkRequest(ctx: KoaContextWithOIDC, requestContext: string | undefined): void {
  const params = ctx.oidc.params as Record<string, unknown>;
  if (requestContext !== undefined) throw new errors.InvalidRequest('request_context is not supported');
  if (params.user_code !== undefined) throw new errors.InvalidRequest('user_code is not supported: the citizen approves in the e-ID app, unlocked with its own PIN or biometrics');
  if (params.id_token_hint !== undefined || params.login_hint_token !== undefined) {
    throw new errors.InvalidRequest('the citizen is named by login_hint only (the 12-digit personal ID number), not by id_token_hint or login_hint_token');
  }
  if (typeof params.login_hint !== 'string' || !PERSONAL_ID.test(params.login_hint)) {
    throw new errors.InvalidRequest('login_hint must be the citizen\'s personal ID number (12 digits)');
  }
  // The claims parameter as sent: the provider parses it into ctx.oidc.claims only after this check.
  const unmet = unmetEssentialAcr(params.claims);
  if (unmet) throw new errors.UnmetAuthenticationRequirements(unmet);
  const needed = requiredLevel({ acr_values: params.acr_values, claims: params.claims });
  if (needed && needed > approvedLevel(ctx.oidc.client)) throw new errors.AccessDenied(`this client is not approved for urn:vn:eid:loa:${needed}`);
}

export function checkBindingMessage(message: string | undefined): void {
  if (message === undefined || message === '') {
    throw new errors.InvalidBindingMessage('binding_message is required: a short text the bank shows its customer, which the e-ID app shows beside the request');
  }
  if (message.normalize('NFC') !== message || !BINDING_MESSAGE.test(message) || message.trimEnd() !== message) {
    throw new errors.InvalidBindingMessage(
      'binding_message must be 1 to 40 characters (NFC): letters, digits, spaces and . , : # / ( ) + ? ! _ -, starting with a letter or digit and not ending with a space',
    );
  }
}

/**
 * The account a request goes to, or a stand-in. An ID number with no account, a level-1, locked or revoked account,
 * a citizen with no device in the app, and a non-sandbox citizen at a sandbox client are all accepted exactly like a
 * reachable citizen (same answer, same work: both look the account and a device up) and the request simply expires
 * unanswered. Answering unknown_user_id instead would let any bank holding CIBA approval learn, ID number by ID
 * number, who has an e-ID account and who uses the app; a bank already learns "no answer" for a citizen who ignores
 * the request, so the stand-in tells it nothing more.
 */
async function reachableAccount(ctx: KoaContextWithOIDC, hint: string, deps: CibaDeps): Promise<string> {
  // Counted by the number's digest, for anyone's number and nobody's alike, so the limit reveals nothing either.
  // A cheap early refusal; recordCibaRequest counts again under a lock, for requests sent all at once.
  if ((await waitingFor(deps.db, ctx.oidc.client!.clientId, hintDigest(deps.hintKey, hint), deps.now())) >= MAX_WAITING) {
    throw tooManyWaiting();
  }
  const account = PERSONAL_ID.test(hint) ? await deps.accounts.findByPersonalId(hint) : undefined;
  const device = await deps.hasDevice(account?.id ?? '00000000-0000-0000-0000-000000000000');
  const sandboxOnly = ctx.oidc.client?.['profile'] === 'sandbox';
  // As the app's proofs judge it: a lock from failed password attempts guards the password only (opensToDevices).
  const usable = account !== undefined && opensToDevices(account) && account.level === 2 && device && (!sandboxOnly || account.sandbox);
  return usable ? account.id : `${STAND_IN}${randomUUID()}`;
}

// Keyed with the pairwise salt; the prefix (with a space no sector host has) keeps the two uses apart.
const hintDigest = (key: string, hint: string) => createHmac('sha256', key).update(`ciba login_hint\n${hint}`).digest('base64url');

/**
 * findAccount's answer for a stand-in during the backchannel request only: an account that releases nothing. It
 * can never reach a token, since only the app of the request's own account can approve it.
 */
export function standInAccount(ctx: KoaContextWithOIDC | undefined, sub: string): { accountId: string; claims(): Promise<{ sub: string }> } | undefined {
  if (!isStandIn(sub) || ctx?.oidc?.route !== 'backchannel_authentication') return undefined;
  return { accountId: sub, claims: async () => ({ sub }) };
}

type ClaimsRequest = { id_token?: Record<string, unknown>; userinfo?: Record<string, unknown> };

/** The claim names the service would receive: what it asked for, within its approved scopes and the level. */
export function claimsToRelease(scopes: string[], claims: ClaimsRequest | undefined, approved: ReadonlySet<string>, level: 1 | 2): string[] {
  const out = new Set<string>();
  const allowed = (scope: string | undefined) => scope !== undefined && approved.has(scope) && CATALOGUE[scope as keyof typeof CATALOGUE].level <= level;
  for (const scope of scopes) {
    if (scope === 'openid' || !Object.hasOwn(CATALOGUE, scope) || !allowed(scope)) continue;
    for (const claim of CATALOGUE[scope as keyof typeof CATALOGUE].claims) out.add(claim);
  }
  for (const claim of [...Object.keys(claims?.id_token ?? {}), ...Object.keys(claims?.userinfo ?? {})]) {
    if (claim === 'verified_claims' && level === 2) out.add(claim);
    if (claim === 'personal_id' && !scopes.includes('personal_id')) continue;
    const scope = CLAIM_SCOPE.get(claim);
    if (scope !== 'openid' && allowed(scope)) out.add(claim);
  }
  return [...out].sort();
}

/** Registry rule (extraClientMetadata's validator, given the whole metadata): only banks and sandbox clients use CIBA. */
export function assertCibaClientMetadata(metadata: Record<string, unknown>): void {
  const grants = metadata['grant_types'];
  if (!Array.isArray(grants) || !grants.includes(CIBA_GRANT)) return;
  if (!CIBA_PROFILES.has(String(metadata['profile']))) {
    throw new errors.InvalidClientMetadata(`grant_types: ${CIBA_GRANT} is for bank and sandbox clients only (this one is ${String(metadata['profile'])})`);
  }
}
