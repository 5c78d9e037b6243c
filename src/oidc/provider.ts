// oidc-provider configuration: the protocol engine is configured here, never re-implemented.
import Provider, { errors, interactionPolicy, type Client, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Kysely } from 'kysely';
import type { Accounts } from '../accounts/accounts.ts';
import type { Schema } from '../db/schema.ts';
import { createAdapterFactory } from './adapter.ts';
import { cookieSigner } from './cookie-keys.ts';
import { hmacMemo } from './hmac-memo.ts';
import { recordIdentity } from '../accounts/identity.ts';
import { ACR_VALUES, CATALOGUE, CLAIM_SCOPE, type CatalogueScope, citizenClaims, providerClaimsConfig, releasable } from './claims.ts';
import type { ProviderKeys } from './keys.ts';
import { approvedLevel, levelOfAcr, requiredLevel, unmetEssentialAcr } from './levels.ts';
import { trimScopesForTrimmingClients } from './scope-policy.ts';
import { assertVerifiedClaimsRequest, VERIFIED_CLAIMS_DISCOVERY, verifiedClaims } from './verified-claims.ts';
import { compareHashedClientSecrets, reuseBuiltClients } from './client-internals.ts';
import { outboundFetch } from './outbound.ts';
import { assertBankClientMetadata, assertOfferedAlgorithms, bankProfile, newClientRules } from './bank-profile.ts';
import { assertPublicServiceMetadata, publicServiceConfiguration } from './public-service.ts';
import type { RelyingParties } from './relying-parties.ts';
import { apiTokenTtl, introspectionPolicy, resourceIndicatorsFeature } from './resource-indicators.ts';
import { hideStoredSecrets, sandboxRegistration } from './registration.ts';
import { isOwnSectorUri } from './sectors.ts';
import { DEFAULT_TTL } from './token-lifetimes.ts';
import { assertCibaClientMetadata, cibaConfiguration, standInAccount, type CibaDeps } from './ciba.ts';
import { cibaProtocol } from './ciba-protocol.ts';

/** How a relying party connects; first_party is the provider's own /account page. */
export const CLIENT_PROFILES = ['public_service', 'bank', 'service', 'sandbox', 'first_party'] as const;
export type ClientProfile = (typeof CLIENT_PROFILES)[number];

/** Renders one of our pages for the provider's own error and logout responses. */
export type ProviderPages = {
  error(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): Promise<string>;
  logout(ctx: KoaContextWithOIDC, form: string): Promise<string>;
  loggedOut(ctx: KoaContextWithOIDC): Promise<string>;
};

export interface ProviderDeps {
  issuer: string;
  db: Kysely<Schema>;
  keys: ProviderKeys;
  accounts: Accounts;
  relyingParties: RelyingParties;
  pages: ProviderPages;
  trustProxy: boolean;
  /** Outgoing requests to loopback and private addresses (relying parties on 127.0.0.1): development and tests only. */
  allowPrivateNetworks?: boolean;
  /** A local certificate authority (PEM) relying parties' https endpoints use: development and tests only. */
  outboundExtraCa?: string;
  /** Dynamic client registration (creating sandbox clients only): with the developer sandbox, never in production. */
  sandboxRegistration?: boolean;
  /** Every new client's redirect URIs https (or loopback): production (newClientRules). */
  httpsRedirectsOnly?: boolean;
  /** Token lifetimes in seconds; tests shorten them. */
  /** CIBA (ciba.ts): who can be asked in the app, and the request's lifetime and poll pace. */
  ciba?: Partial<Pick<CibaDeps, 'hasDevice' | 'requestSeconds' | 'pollIntervalSeconds'>> & { now?: () => Date };
  ttl?: Partial<Record<'AccessToken' | 'AuthorizationCode' | 'IdToken' | 'RefreshToken' | 'Session' | 'Interaction' | 'Grant' | 'ClientCredentials', number>>;
}

export const INTERACTION_PATH = '/interaction';
/** The citizen's own account page, a first-party client (see selfservice/routes.ts). */
export const FIRST_PARTY_CLIENT = 'dinhdanh-account';

/**
 * The login prompt, with the assurance rule of levels: a session satisfies a request when its level is at
 * least the one asked for (the stock acr checks want an exact match, which would re-prompt a level-2 session
 * for a level-1 request). A client asking above its approval is refused before anyone is prompted.
 */
function interactions() {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.remove('essential_acrs');
  login.checks.remove('essential_acr');
  login.checks.add(
    new interactionPolicy.Check('acr_level', 'the requested assurance level needs a further authentication step', (ctx) => {
      const unmet = unmetEssentialAcr(ctx.oidc.claims);
      if (unmet) throw new errors.UnmetAuthenticationRequirements(unmet);
      const needed = requiredLevel({ acr_values: ctx.oidc.params?.acr_values, claims: ctx.oidc.claims });
      if (!needed) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      if (needed > approvedLevel(ctx.oidc.client)) {
        throw new errors.AccessDenied(`this client is not approved for urn:vn:eid:loa:${needed}`);
      }
      return (levelOfAcr(ctx.oidc.acr) ?? 0) >= needed ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  // A session whose account findAccount no longer gives out (revoked, or not a sandbox citizen at a sandbox client)
  // signs in again rather than going on to consent without an account.
  login.checks.add(
    new interactionPolicy.Check('account_unavailable', 'the signed-in account cannot be used with this client', (ctx) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}

/** The pairwise sector of a client: the one the registry assigned, else the host of its redirect URIs. */
function sectorOf(client: Client): string | undefined {
  return (client['sector_identifier'] as string | undefined) ?? (client.sectorIdentifier as string | undefined);
}

export function createProvider(deps: ProviderDeps): Provider {
  const ttl = { ...DEFAULT_TTL, ...deps.ttl };
  const secureCookies = deps.issuer.startsWith('https:');
  const scopes = ['openid', 'offline_access', ...Object.keys(CATALOGUE).filter((s) => s !== 'openid')];
  // FAPI 2.0 for banks, PAR, DPoP, ID token encryption and the algorithms (src/oidc/bank-profile.ts); access
  // tokens for an API live as long as that API asks (resource-indicators.ts).
  const { features: bankFeatures, ...bankConfiguration } = bankProfile({
    ...ttl,
    AccessToken: apiTokenTtl(ttl.AccessToken),
    ClientCredentials: apiTokenTtl(ttl.ClientCredentials),
  });
  const publicService = publicServiceConfiguration();
  const registration = deps.sandboxRegistration ? sandboxRegistration(deps.issuer) : undefined;
  // Without the app (the CLI's validating provider), nobody can be asked: every request would only expire.
  const cibaDeps: CibaDeps = {
    db: deps.db,
    accounts: deps.accounts,
    hasDevice: deps.ciba?.hasDevice ?? (async () => false),
    requestSeconds: deps.ciba?.requestSeconds ?? 300,
    pollIntervalSeconds: deps.ciba?.pollIntervalSeconds ?? 5,
    now: deps.ciba?.now ?? (() => new Date()),
    hintKey: deps.keys.pairwiseSalt,
  };
  const ciba = cibaConfiguration(cibaDeps);
  // Asked again at every introspection, userinfo and refresh of a token: remembered (hmac-memo.ts).
  const pairwiseSubject = hmacMemo('sha256', deps.keys.pairwiseSalt);

  const configuration: Configuration = {
    adapter: createAdapterFactory(deps.db, deps.relyingParties),
    clients: [],
    jwks: { keys: deps.keys.signing as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: cookieSigner(deps.keys.cookie),
      long: { signed: true, httpOnly: true, sameSite: 'lax', secure: secureCookies },
      short: { signed: true, httpOnly: true, sameSite: 'lax', secure: secureCookies },
    },
    async findAccount(ctx, sub, token) {
      const standIn = standInAccount(ctx, sub);
      if (standIn) return standIn;
      const account = await deps.accounts.findById(sub);
      // A revoked account, or one an officer locked, signs nobody in, and its existing tokens stop yielding claims
      // (the lock also deleted them; this holds for any issued in the same instant).
      if (!account || account.status === 'revoked' || account.lockReason === 'officer') return undefined;
      // A browser whose password was proven before the account's sessions were ended (a new password, a lock) is
      // signed in no more, even if a request under way wrote its session back. loginTs is whole seconds.
      const session = (ctx.oidc as { session?: { accountId?: string; loginTs?: number } } | undefined)?.session;
      if (account.sessionsEndedAt && session?.accountId === sub && (session.loginTs ?? 0) < Math.floor(account.sessionsEndedAt.getTime() / 1000)) return undefined;
      // A sandbox client sees sandbox citizens only, never records imported from a population extract.
      if (ctx.oidc?.client?.['profile'] === 'sandbox' && !account.sandbox) return undefined;
      return {
        accountId: account.id,
        async claims(_use, scope, requested) {
          const client = ctx.oidc.client;
          // The level of the authentication behind this token (codes and refresh tokens carry it, access tokens
          // in `extra`), never above what the client is approved for.
          const tokenAcr = (token as { acr?: string; extra?: { acr?: string } } | undefined);
          const level = Math.min(levelOfAcr(tokenAcr?.acr ?? tokenAcr?.extra?.acr) ?? 1, approvedLevel(client)) as 1 | 2;
          const context = { level, approvedScopes: new Set((client?.scope ?? 'openid').split(' ')), tokenScopes: new Set((scope ?? '').split(' ')) };
          // The population record is read only when something from it may go out.
          const asked = [...context.tokenScopes, ...Object.keys(requested ?? {}).map((claim) => CLAIM_SCOPE.get(claim) ?? claim)];
          const wantsRecord = level === 2 && asked.some((s) => s === 'verified_claims' || CATALOGUE[s as keyof typeof CATALOGUE]?.level === 2);
          const record = wantsRecord ? await recordIdentity(deps.db, account) : undefined;
          const all = citizenClaims(account, account.id, record);
          const released = releasable(all, context);
          // verified_claims: level 2 only (so only clients approved for level 2), inner claims by the same rule.
          const verification = (requested as Record<string, unknown> | undefined)?.verified_claims;
          if (verification && record) {
            // The evidence shows the card's number and dates only to a token whose scopes release them, and names the
            // verification by a reference of this client's sector, so that two services cannot match their users up by it.
            const shown = (scope: CatalogueScope) => context.tokenScopes.has(scope) && CATALOGUE[scope].claims.some((claim) => released[claim] !== undefined);
            const evidence = {
              documentNumber: shown('personal_id') || shown('id_card') ? account.personalId : undefined,
              idCard: shown('id_card') ? record.idCard : null,
              verifiedAt: record.verification.at,
              verifiedBy: record.verification.by,
              reference: pairwiseSubject(`verification\n${client ? sectorOf(client) : ''}\n${record.verification.reference}`),
            };
            const answer = verifiedClaims(verification, evidence, all, (inner) => releasable(inner, context));
            if (answer) released.verified_claims = answer;
          }
          return released as { sub: string };
        },
      };
    },
    // Access tokens remember the level of the authentication they came from, for userinfo's release rule.
    async extraTokenClaims(ctx, token) {
      if (token.kind !== 'AccessToken') return undefined;
      const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken ?? ctx.oidc.entities.BackchannelAuthenticationRequest;
      return source?.acr ? { acr: source.acr } : undefined;
    },
    claims: providerClaimsConfig(),
    scopes,
    acrValues: ACR_VALUES,
    // 'none' only for the first-party account page, which needs the session and nothing else.
    responseTypes: ['code', 'none'],
    // Pairwise by default: two unrelated services cannot match their users up by `sub`. A public-service
    // client may be registered with subject_type "public".
    subjectTypes: ['pairwise', 'public'],
    async pairwiseIdentifier(_ctx, accountId, client) {
      return pairwiseSubject(`${sectorOf(client)}\n${accountId}`);
    },
    pkce: { required: () => true },
    fetch: outboundFetch({ allowPrivateNetworks: deps.allowPrivateNetworks ?? false, extraCa: deps.outboundExtraCa }),
    // A sector URI the registry assigned under our own issuer is ours: nothing to fetch (see sectors.ts).
    sectorIdentifierUriValidate: (client) => !isOwnSectorUri(deps.issuer, client.sectorIdentifierUri, client.clientId),
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      subject_type: 'pairwise',
    },
    features: {
      ...bankFeatures,
      ...publicService.features,
      ...ciba.features,
      devInteractions: { enabled: false },
      claimsParameter: {
        enabled: true,
        assertClaimsParameter: async (_ctx, claims) => assertVerifiedClaimsRequest(claims as Record<string, unknown>),
      },
      clientCredentials: { enabled: true },
      // APIs for services (RFC 8707): resource servers and each client's access to them, from the registry.
      resourceIndicators: resourceIndicatorsFeature(deps.db, scopes, (clientId, resource) => deps.relyingParties.resourceAccess(clientId, resource)),
      // Least privilege: a relying party learns about, and revokes, only tokens issued to itself; a resource
      // server's own client introspects only tokens for its audience.
      introspection: { enabled: true, allowedPolicy: introspectionPolicy(deps.db) },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      userinfo: { enabled: true },
      ...registration?.features,
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = await deps.pages.logout(ctx, form);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = await deps.pages.loggedOut(ctx);
        },
      },
    },
    // Browsers may call the token and userinfo endpoints only from origins the client registered redirect URIs on.
    clientBasedCORS: (_ctx, origin, client) => (client.redirectUris ?? []).some((uri) => URL.canParse(uri) && new URL(uri).origin === origin),
    // The first-party account page never asks the citizen's consent: it releases nothing to anyone.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (ctx.oidc.client?.clientId !== FIRST_PARTY_CLIENT || !ctx.oidc.session?.accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: FIRST_PARTY_CLIENT, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid');
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`, policy: interactions() },
    extraClientMetadata: {
      // assurance_level: the highest level the relying party is approved for (default 1);
      // consent_mode: "choice" (default) or "notice" for public services that inform instead of asking.
      // scope_policy: "refuse" (default: a scope beyond the approval is invalid_scope) or "trim" (dropped).
      // profile: how the relying party connects (public_service, bank, service, sandbox; first_party for /account).
      // sector_identifier: the pairwise sector the registry assigned (set by the registry, never by a client).
      // organisation_name, organisation_domain: who stands behind the service, shown on the consent page.
      properties: ['assurance_level', 'consent_mode', 'scope_policy', 'profile', 'sector_identifier', 'organisation_name', 'organisation_domain'],
      validator(ctx, key, value, metadata) {
        // Registration and its management (ctx is given only there) make sandbox clients, whatever was asked.
        if (ctx && registration) registration.validate(key, value, metadata);
        if (key === 'assurance_level' && value !== undefined && value !== 1 && value !== 2) {
          throw new errors.InvalidClientMetadata('assurance_level must be 1 or 2');
        }
        if (key === 'scope_policy' && value !== undefined && value !== 'refuse' && value !== 'trim') {
          throw new errors.InvalidClientMetadata('scope_policy must be "refuse" or "trim"');
        }
        if (key === 'consent_mode' && value !== undefined && value !== 'choice' && value !== 'notice') {
          throw new errors.InvalidClientMetadata('consent_mode must be "choice" or "notice"');
        }
        if (key === 'profile' && value !== undefined && !CLIENT_PROFILES.includes(value as ClientProfile)) {
          throw new errors.InvalidClientMetadata(`profile must be one of ${CLIENT_PROFILES.join(', ')}`);
        }
        if (key === 'profile') assertOfferedAlgorithms(metadata as Record<string, unknown>);
        if (key === 'profile') assertBankClientMetadata(metadata as Record<string, unknown>);
        if (key === 'profile') assertCibaClientMetadata(metadata as Record<string, unknown>);
        if (key === 'profile' && value === 'public_service') assertPublicServiceMetadata(metadata);
        // Rules for new and changed clients only (self-service registration here; the registry calls them itself).
        if (ctx && key === 'profile') newClientRules({ httpsRedirectsOnly: deps.httpsRedirectsOnly ?? false })(metadata as Record<string, unknown>);
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = await deps.pages.error(ctx, out as { error: string; error_description?: string });
    },
    // ttl (codes of 60 s at most for banks), algorithms, client auth methods, and refresh tokens that rotate on use
    // except for banks (bank-profile.ts); a replayed rotated refresh token is detected by the provider.
    ...bankConfiguration,
    ttl: { ...bankConfiguration.ttl, ...ciba.ttl },
    discovery: { ui_locales_supported: ['vi', 'en'], claims_locales_supported: ['vi'], ...VERIFIED_CLAIMS_DISCOVERY },
  };

  const provider = new Provider(deps.issuer, configuration);
  provider.proxy = deps.trustProxy;
  compareHashedClientSecrets(provider);
  reuseBuiltClients(provider, (clientId) => deps.relyingParties.kept(clientId));
  trimScopesForTrimmingClients(provider, deps.relyingParties);
  if (registration) hideStoredSecrets(provider);
  cibaProtocol(provider, { db: deps.db, now: cibaDeps.now, pollIntervalSeconds: cibaDeps.pollIntervalSeconds });
  return provider;
}
